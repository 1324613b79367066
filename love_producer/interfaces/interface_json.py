"""Our compact JSON form of interface descriptions (the built-in ``conf/interfaces`` files).

A component file holds facts only::

    {"format_version": 1, "name": "ATDome", "index_enumeration": "no",
     "telemetry": [{"name": "position", "fields": [
         {"name": "azimuthPosition", "sal_type": "double", "units": "deg"}, ...]}],
     "events": [...], "commands": [...]}

A field leaves out ``count`` when it is 1 and ``units`` when ``unitless``. Private fields are
not stored: loading adds them again, so they always match `private_fields`. The subsystem list
(``subsystems.json``) holds name, index enumeration and added generics of every component.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from love_producer.interfaces.interface import ComponentInfo, FieldInfo, TopicInfo, private_fields
from love_producer.interfaces.ts_xml import SubsystemEntry

FORMAT_VERSION = 1

#: JSON key and TopicKind of each topic list of a component.
_KINDS = (("telemetry", "telemetry"), ("events", "event"), ("commands", "command"))
_COMPONENT_KEYS = {"format_version", "name", "index_enumeration"} | {k for k, _ in _KINDS}
_FIELD_KEYS = {"name", "sal_type", "count", "units", "choices"}


def _check_version(d: Mapping[str, Any], what: str) -> None:
    version = d.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(
            f"{what}: unsupported format_version {version!r}; this version of love-actors "
            f"reads format_version {FORMAT_VERSION}"
        )


def _check_keys(d: Mapping[str, Any], allowed: set[str], what: str) -> None:
    unknown = set(d) - allowed
    if unknown:
        raise ValueError(f"{what}: unknown keys {sorted(unknown)}")


def _field_to_json(field: FieldInfo) -> dict[str, Any]:
    d: dict[str, Any] = {"name": field.name, "sal_type": field.sal_type}
    if field.count != 1:
        d["count"] = field.count
    if field.units != "unitless":
        d["units"] = field.units
    if field.choices:
        d["choices"] = list(field.choices)
    return d


def _field_from_json(d: Mapping[str, Any], what: str) -> FieldInfo:
    _check_keys(d, _FIELD_KEYS, what)
    try:
        return FieldInfo(
            name=d["name"],
            sal_type=d["sal_type"],
            count=int(d.get("count", 1)),
            units=d.get("units", "unitless"),
            choices=tuple(int(v) for v in d.get("choices", ())),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{what}: bad field {dict(d)!r}: {e}") from None


def to_json_dict(info: ComponentInfo) -> dict[str, Any]:
    """JSON-ready dict of ``info`` without private fields.

    Raises
    ------
    ValueError
        When a topic does not start with the private fields (loading would add them, so the
        result would not load back equal).
    """
    private = private_fields(info.indexed)
    d: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "name": info.name,
        "index_enumeration": info.index_enumeration,
    }
    for key, _kind in _KINDS:
        topics = []
        for topic in getattr(info, key):
            if topic.fields[: len(private)] != private:
                raise ValueError(
                    f"{info.name} {topic.attr_name}: fields do not start with the private fields"
                )
            fields = [_field_to_json(f) for f in topic.fields[len(private) :]]
            topics.append({"name": topic.name, "fields": fields})
        d[key] = topics
    return d


def from_json_dict(d: Mapping[str, Any]) -> ComponentInfo:
    """ComponentInfo from `to_json_dict` output, with private fields added in front.

    Raises
    ------
    ValueError
        For an unknown ``format_version``, unknown keys or malformed fields.
    """
    what = f"interface description of {d.get('name', '?')!r}"
    _check_version(d, what)
    _check_keys(d, _COMPONENT_KEYS, what)
    if not isinstance(d.get("name"), str):
        raise ValueError(f"{what}: 'name' must be a string")
    index_enumeration = d.get("index_enumeration", "no")
    private = private_fields(index_enumeration.strip().lower() != "no")
    kinds: dict[str, tuple[TopicInfo, ...]] = {}
    for key, kind in _KINDS:
        topics = []
        for t in d.get(key, []):
            _check_keys(t, {"name", "fields"}, what)
            where = f"{what} {key} {t.get('name')!r}"
            fields = tuple(_field_from_json(f, where) for f in t.get("fields", []))
            topics.append(TopicInfo(t["name"], kind, private + fields))
        kinds[key] = tuple(topics)
    return ComponentInfo(name=d["name"], index_enumeration=index_enumeration, **kinds)


def subsystems_to_json(entries: Iterable[SubsystemEntry]) -> dict[str, Any]:
    """JSON-ready dict of subsystem entries, sorted by name."""
    return {
        "format_version": FORMAT_VERSION,
        "subsystems": [
            {
                "name": e.name,
                "index_enumeration": e.index_enumeration,
                "added_generics": list(e.added_generics),
            }
            for e in sorted(entries, key=lambda e: e.name)
        ],
    }


def subsystems_from_json(d: Mapping[str, Any]) -> dict[str, SubsystemEntry]:
    """Subsystem entries by name from `subsystems_to_json` output."""
    _check_version(d, "subsystem list")
    _check_keys(d, {"format_version", "subsystems"}, "subsystem list")
    entries: dict[str, SubsystemEntry] = {}
    for s in d["subsystems"]:
        _check_keys(s, {"name", "index_enumeration", "added_generics"}, "subsystem list")
        entries[s["name"]] = SubsystemEntry(
            name=s["name"],
            index_enumeration=s.get("index_enumeration", "no"),
            added_generics=tuple(s.get("added_generics", ())),
        )
    return entries
