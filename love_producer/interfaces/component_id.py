"""Component identifiers ``Name[:index]`` as given on the command line."""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@attrs.frozen(order=True)
class ComponentId:
    """A SAL component instance: its name and SAL index (0 when not indexed)."""

    name: str
    index: int = 0

    def __str__(self) -> str:
        return f"{self.name}:{self.index}" if self.index else self.name

    @property
    def key(self) -> str:
        """Stable text key, ``Name:index`` always with the index."""
        return f"{self.name}:{self.index}"


def parse_component(spec: str) -> ComponentId:
    """Parse ``Name`` or ``Name:index``.

    Raises
    ------
    ValueError
        For an empty name, a name that is not an identifier (LOVE group names are
        dash-joined, so a ``-`` would break routing), a wildcard or a malformed index.
    """
    text = spec.strip()
    name, sep, index_text = text.partition(":")
    if not _NAME_RE.match(name):
        raise ValueError(f"bad component {spec!r}: the name must be letters, digits or _")
    if not sep:
        return ComponentId(name, 0)
    if index_text == "*":
        raise ValueError(f"bad component {spec!r}: wildcard indices are not supported")
    if not re.fullmatch(r"\d+", index_text):
        raise ValueError(f"bad component {spec!r}: the index must be a whole number >= 0")
    return ComponentId(name, int(index_text))


def split_components(items: Iterable[str]) -> tuple[list[ComponentId], list[str]]:
    """The components of ``items`` (each one or more space- or comma-separated specs), with
    duplicates removed keeping the first, and the error of every bad spec."""
    result: list[ComponentId] = []
    errors: list[str] = []
    for item in items:
        for spec in re.split(r"[\s,]+", item.strip()):
            if not spec:
                continue
            try:
                cid = parse_component(spec)
            except ValueError as e:
                errors.append(str(e))
                continue
            if cid not in result:
                result.append(cid)
    return result, errors


def parse_components(items: Iterable[str]) -> list[ComponentId]:
    """As `split_components`; raises ValueError listing every bad spec, one per line."""
    result, errors = split_components(items)
    if errors:
        raise ValueError("\n".join(errors))
    return result
