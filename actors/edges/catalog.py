"""Where interface descriptions come from: a ts_xml folder, installed ts_xml, or built-in JSON.

This is the file-reading edge around `love_producer.interfaces.ts_xml` and
`love_producer.interfaces.interface_json`.
A `Catalog` knows every SAL component name up front (SALSubsystems.xml or subsystems.json) and
loads a component's topics only when first asked.
"""

from __future__ import annotations

import difflib
import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from love_producer.interfaces.component_id import ComponentId
from love_producer.interfaces.interface import ComponentInfo
from love_producer.interfaces.interface_json import from_json_dict, subsystems_from_json
from love_producer.interfaces.ts_xml import (
    GenericTopics,
    SubsystemEntry,
    build_component,
    parse_generics,
    parse_subsystems,
)

#: File name suffix of each topic kind in a ts_xml component folder.
_XML_SUFFIX = {"telemetry": "Telemetry", "event": "Events", "command": "Commands"}


class CatalogError(Exception):
    """A component or interface source that cannot be used; the message says why."""


def builtin_dir() -> Path:
    """Folder of the built-in descriptions: ``conf/interfaces`` of the source tree, or the
    copy a non-editable install puts under ``<prefix>/share/love-actors``."""
    in_tree = Path(__file__).resolve().parents[2] / "conf" / "interfaces"
    if in_tree.is_dir():
        return in_tree
    return Path(sys.prefix) / "share" / "love-actors" / "conf" / "interfaces"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise CatalogError(f"cannot read {path}: {e.strerror}") from None


def _close_matches(name: str, choices: list[str]) -> list[str]:
    """Up to 3 near spellings of ``name``, only those nearly as close as the best one (so
    ``ATDom`` suggests ATDome alone, not MTDome too)."""
    scored = []
    for choice in difflib.get_close_matches(name, choices, n=3):
        scored.append((difflib.SequenceMatcher(None, name, choice).ratio(), choice))
    return [c for score, c in scored if score >= scored[0][0] - 0.1]


class Catalog:
    """Interface descriptions of every known SAL component.

    Use the class methods to make one. ``load`` returns a component's description, or None
    when the source does not hold it.
    """

    def __init__(
        self,
        source: str,
        location: Path,
        subsystems: dict[str, SubsystemEntry],
        load: Callable[[SubsystemEntry], ComponentInfo | None],
    ) -> None:
        self.source = source
        self.location = location
        self._subsystems = subsystems
        self._load = load
        self._cache: dict[str, ComponentInfo] = {}

    def __repr__(self) -> str:
        return f"<Catalog {self.source}>"

    # Constructors

    @classmethod
    def from_xml_dir(cls, path: str | Path, source: str | None = None) -> Catalog:
        """Read a ts_xml ``sal_interfaces`` folder (SALSubsystems.xml, SALGenerics.xml and
        one folder per component)."""
        root = Path(path).expanduser()
        if not root.is_dir():
            raise CatalogError(f"ts_xml folder {root} does not exist")
        needed = [root / "SALSubsystems.xml", root / "SALGenerics.xml"]
        if not all(p.is_file() for p in needed):
            raise CatalogError(
                f"{root} is not a ts_xml sal_interfaces folder: it must hold SALSubsystems.xml"
                " and SALGenerics.xml"
            )
        try:
            subsystems = parse_subsystems(_read(needed[0]))
        except (ET.ParseError, ValueError) as e:
            raise CatalogError(f"cannot parse {needed[0]}: {e}") from None
        generics: list[GenericTopics] = []

        def load(entry: SubsystemEntry) -> ComponentInfo | None:
            if not generics:
                try:
                    generics.append(parse_generics(_read(needed[1])))
                except (ET.ParseError, ValueError) as e:
                    raise CatalogError(f"cannot parse {needed[1]}: {e}") from None
            folder = root / entry.name
            files = {
                kind: folder / f"{entry.name}_{suffix}.xml" for kind, suffix in _XML_SUFFIX.items()
            }
            texts = {kind: _read(p) if p.is_file() else None for kind, p in files.items()}
            if all(t is None for t in texts.values()) and not folder.is_dir():
                return None  # not in this copy of ts_xml
            # A folder without topic files is a component of generic topics only (the header
            # services): what its AddedGenerics name.
            try:
                return build_component(entry, generics[0], texts)
            except (ET.ParseError, ValueError) as e:
                raise CatalogError(
                    f"cannot read the interface of {entry.name} in {folder}: {e}"
                ) from None

        return cls(source or f"ts_xml folder {root}", root, subsystems, load)

    @classmethod
    def builtin(cls) -> Catalog:
        """The descriptions shipped with love-actors (``conf/interfaces``)."""
        root = builtin_dir()
        index = root / "subsystems.json"
        if not index.is_file():
            raise CatalogError(f"built-in interface descriptions are missing: no {index}")
        try:
            subsystems = subsystems_from_json(json.loads(_read(index)))
        except (ValueError, KeyError, TypeError) as e:
            raise CatalogError(f"cannot read {index}: {e}") from None

        def load(entry: SubsystemEntry) -> ComponentInfo | None:
            path = root / f"{entry.name}.json"
            if not path.is_file():
                return None
            try:
                return from_json_dict(json.loads(_read(path)))
            except (ValueError, KeyError, TypeError) as e:
                raise CatalogError(f"cannot read {path}: {e}") from None

        return cls(f"built-in descriptions in {root}", root, subsystems, load)

    @classmethod
    def installed_ts_xml(cls) -> Catalog | None:
        """The ts_xml package of this Python (``lsst.ts.xml``), or None when not installed."""
        try:
            # Optional: ts_xml's package is in Rubin's environments only.
            from lsst.ts import xml  # type: ignore[import-not-found]
        except ImportError:
            return None
        path = Path(xml.get_sal_interfaces_dir())
        return cls.from_xml_dir(path, source=f"installed ts_xml (lsst.ts.xml) at {path}")

    @classmethod
    def default(cls, xml_dir: str | None = None) -> Catalog:
        """``xml_dir`` when given, else the installed ts_xml, else the built-in descriptions."""
        if xml_dir:
            return cls.from_xml_dir(xml_dir)
        return cls.installed_ts_xml() or cls.builtin()

    # Queries

    def names(self) -> list[str]:
        """Every known SAL component name, sorted."""
        return sorted(self._subsystems)

    def subsystem(self, name: str) -> SubsystemEntry:
        """The SALSubsystems entry of ``name``."""
        if name not in self._subsystems:
            raise CatalogError(self._unknown_message(name))
        return self._subsystems[name]

    def get(self, name: str) -> ComponentInfo:
        """Description of component ``name``, loaded on first use.

        Raises
        ------
        CatalogError
            When the name is unknown or this source does not hold its interface files.
        """
        info = self._cache.get(name)
        if info is None:
            info = self._load(self.subsystem(name))
            if info is None:
                raise CatalogError(
                    f"{name} is a SAL component but its interface description is not in"
                    f" {self.location}: point --xml-dir at a ts_xml sal_interfaces folder"
                )
            self._cache[name] = info
        return info

    def resolve(self, ids: list[ComponentId]) -> dict[ComponentId, ComponentInfo]:
        """Descriptions of ``ids``, after checking every name and index.

        Raises
        ------
        CatalogError
            Listing every bad id, one per line.
        """
        resolved: dict[ComponentId, ComponentInfo] = {}
        errors: list[str] = []
        for cid in ids:
            try:
                info = self.get(cid.name)
                info.check_index(cid.index)
            except (CatalogError, ValueError) as e:
                errors.append(str(e))
            else:
                resolved[cid] = info
        if errors:
            raise CatalogError("\n".join(errors))
        return resolved

    def _unknown_message(self, name: str) -> str:
        by_lower = {n.lower(): n for n in self._subsystems}
        if name.lower() in by_lower:
            matches = [by_lower[name.lower()]]
        else:
            matches = _close_matches(name, list(self._subsystems))
        message = f"unknown component {name!r}"
        if matches:
            head, last = matches[:-1], matches[-1]
            choices = f"{', '.join(head)} or {last}" if head else last
            message += f"; did you mean {choices}?"
        return message


class Interfaces:
    """The interfaces a running Factory hands out: those resolved at start, then the rest of
    the catalog (``xml_dir`` or the built-in one), read on first need and kept.

    Parameters
    ----------
    infos : dict
        ComponentId -> ComponentInfo, resolved before start.
    related : dict
        Name -> ComponentInfo of the related interfaces resolved before start.
    xml_dir : str or None
        Where the catalog reads what was not resolved before start.
    """

    def __init__(self, infos: dict, related: dict, xml_dir: str | None) -> None:
        self.infos = dict(infos)
        self.given_related = dict(related)
        self.xml_dir = xml_dir
        self._catalog: Catalog | None = None

    def info(self, cid: ComponentId, check_index: bool = True) -> ComponentInfo:
        """``cid``'s interface; raises CatalogError (or ValueError for a bad index)."""
        if cid not in self.infos:
            if self._catalog is None:
                self._catalog = Catalog.default(self.xml_dir)
            info = self._catalog.get(cid.name)
            if check_index:
                info.check_index(cid.index)
            self.infos[cid] = info
        return self.infos[cid]

    def related(self, names: tuple[str, ...]) -> dict:
        """The given related interfaces, plus those of ``names`` the catalog has."""
        related = dict(self.given_related)
        for name in names:
            if name not in related:
                try:
                    related[name] = self.info(ComponentId(name, 0), check_index=False)
                except CatalogError:
                    pass
        return related
