"""Build interface descriptions from ts_xml XML text.

Pure parsing: callers read the files and pass their text (or bytes) in. Only facts are kept
(names, IDL types, counts, units, the values of enumerated fields); descriptions are read only
to tie a field to its enumeration. The assembly of a component
follows ts_xml's own rules: the ``mandatory`` generics, then each ``AddedGenerics`` entry (a
category, or one generic topic by SAL name when the entry holds a ``_``), then the component's
own topics; every topic starts with the private fields. ``ackcmd`` is left out: it is never
forwarded to LOVE.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping

import attrs

from love_producer.interfaces.interface import (
    PYTHON_TYPE_OF_SAL_TYPE,
    ComponentInfo,
    FieldInfo,
    TopicInfo,
    TopicKind,
    private_fields,
)

XmlText = str | bytes

#: Root element, topic element and SAL name prefix of each topic kind.
_ROOT_TAG: dict[str, str] = {
    "telemetry": "SALTelemetrySet",
    "event": "SALEventSet",
    "command": "SALCommandSet",
}
_TOPIC_TAG: dict[str, str] = {
    "telemetry": "SALTelemetry",
    "event": "SALEvent",
    "command": "SALCommand",
}
_SAL_PREFIX: dict[str, str] = {"telemetry": "", "event": "logevent_", "command": "command_"}

#: Category every component gets without listing it.
MANDATORY = "mandatory"

#: Fields tied to an enumeration that their description does not name.
_KNOWN_ENUMS = {("summaryState", "summaryState"): "SummaryStates"}
_PAIR = re.compile(r"\b[A-Za-z]\w*\s*=\s*(-?\d+)\b")
Enums = Mapping[str, tuple[int, ...]]


def _enum_values(text: str) -> tuple[str, tuple[int, ...]] | None:
    """``(name, values)`` of one ``<Enumeration>`` (``Prefix_Item[=value], ...``): numbered
    from 1 unless values are given (decimal, ``0x`` hex, leading-zero octal as written)."""
    items = [x.strip() for x in text.split(",") if x.strip()]
    if not items:
        return None
    name = items[0].split("_", 1)[0].split("=", 1)[0].strip()
    values: list[int] = []
    nxt = 1
    for item in items:
        _, sep, value = item.partition("=")
        if sep:
            value = value.strip().lower()
            nxt = int(value, 16) if value.startswith("0x") else int(value, 10)
        values.append(nxt)
        nxt += 1
    return name, tuple(values)


def parse_enumerations(xml_text: XmlText) -> dict[str, tuple[int, ...]]:
    """The file-level ``<Enumeration>`` elements of one ts_xml file, by enumeration name."""
    root = ET.fromstring(xml_text)
    found = {}
    for parent in [root, *root]:  # file level (SALGenerics keeps them one level down)
        for element in parent.findall("Enumeration"):
            parsed = _enum_values(element.text or "")
            if parsed is not None:
                found[parsed[0]] = parsed[1]
    return found


def field_choices(topic: str, item: ET.Element, enums: Enums) -> tuple[int, ...]:
    """The values an ``<item>`` may take: its own legacy ``<Enumeration>``, the enumeration
    its description names ("A ShutterDoorState enumeration."), or ``name=value`` pairs its
    description lists ("error=40, warning=30, info=20, debug=10"); empty for other fields
    and for bit masks of enumeration values."""
    own = _text(item, "Enumeration")
    if own:
        parsed = _enum_values(own)
        return parsed[1] if parsed else ()
    name = _text(item, "EFDB_Name") or ""
    known = _KNOWN_ENUMS.get((topic, name))
    if known in enums:
        return enums[known]
    description = _text(item, "Description") or ""
    if "mask" in description.lower():
        return ()
    for enum_name, values in enums.items():
        if re.search(rf"\b{re.escape(enum_name)}\b[^.;]*\benum", description):
            return values
    pairs = _PAIR.findall(description)
    if len(pairs) >= 2:
        return tuple(sorted({int(v) for v in pairs}))
    return ()


@attrs.frozen
class SubsystemEntry:
    """The parts of one ``<SALSubsystem>`` that shape its topics."""

    name: str
    index_enumeration: str = "no"
    added_generics: tuple[str, ...] = attrs.field(default=(), converter=tuple)


@attrs.frozen
class GenericTopic:
    """A topic of SALGenerics.xml; ``fields`` hold no private fields."""

    name: str
    kind: TopicKind
    category: str | None
    fields: tuple[FieldInfo, ...]

    @property
    def sal_name(self) -> str:
        """``logevent_<name>`` or ``command_<name>``, as written in AddedGenerics."""
        return _SAL_PREFIX[self.kind] + self.name


@attrs.frozen
class GenericTopics:
    """Generic events and commands in file order."""

    events: tuple[GenericTopic, ...]
    commands: tuple[GenericTopic, ...]

    def all(self) -> tuple[GenericTopic, ...]:
        return self.events + self.commands

    def by_sal_name(self, sal_name: str) -> GenericTopic | None:
        for topic in self.all():
            if topic.sal_name == sal_name:
                return topic
        return None

    def in_category(self, category: str) -> tuple[GenericTopic, ...]:
        return tuple(t for t in self.all() if t.category == category)


def _text(element: ET.Element, tag: str) -> str | None:
    """Stripped text of child ``tag``; None when missing or empty."""
    child = element.find(tag)
    if child is None or child.text is None:
        return None
    text = child.text.strip()
    return text or None


def _parse_field(item: ET.Element, topic: str, enums: Enums) -> FieldInfo:
    name = _text(item, "EFDB_Name")
    if name is None:
        raise ValueError(f"topic {topic!r}: an <item> has no EFDB_Name")
    sal_type = " ".join((_text(item, "IDL_Type") or "").split())
    if sal_type not in PYTHON_TYPE_OF_SAL_TYPE:
        raise ValueError(f"topic {topic!r} field {name!r}: unknown IDL_Type {sal_type!r}")
    count_text = _text(item, "Count") or "1"
    try:
        count = int(count_text)
    except ValueError:
        raise ValueError(f"topic {topic!r} field {name!r}: bad Count {count_text!r}") from None
    if count < 1:
        raise ValueError(f"topic {topic!r} field {name!r}: Count must be >= 1, not {count}")
    choices = field_choices(topic, item, enums) if sal_type != "string" else ()
    return FieldInfo(name, sal_type, count, _text(item, "Units") or "unitless", choices)


def _parse_topics(root: ET.Element, kind: TopicKind) -> list[tuple[str, ET.Element]]:
    """(name, element) of every topic of ``kind`` directly under ``root``."""
    prefix = _SAL_PREFIX[kind]
    topics = []
    for element in root.findall(_TOPIC_TAG[kind]):
        efdb_topic = _text(element, "EFDB_Topic")
        if efdb_topic is None or "_" not in efdb_topic:
            raise ValueError(f"a <{element.tag}> has no valid EFDB_Topic: {efdb_topic!r}")
        name = efdb_topic.split("_", 1)[1]
        name = name.removeprefix(prefix)
        topics.append((name, element))
    return topics


def _fields_of(element: ET.Element, topic: str, enums: Enums) -> list[FieldInfo]:
    fields = [_parse_field(item, topic, enums) for item in element.findall("item")]
    seen: set[str] = set()
    for field in fields:
        if field.name in seen:
            raise ValueError(f"topic {topic!r}: field {field.name!r} is defined twice")
        seen.add(field.name)
    return fields


def parse_topic_file(
    xml_text: XmlText, kind: TopicKind, enums: Enums | None = None
) -> list[tuple[str, list[FieldInfo]]]:
    """Topics of one ``<CSC>_{Telemetry,Events,Commands}.xml`` file, in file order.

    Names have the component prefix and ``logevent_``/``command_`` removed. Fields are the
    ``<item>`` entries only (no private fields). ``enums`` are the enumerations fields may
    name (default: this file's own).

    Raises
    ------
    ValueError
        When the root element does not match ``kind`` or a field is malformed.
    """
    root = ET.fromstring(xml_text)
    if root.tag != _ROOT_TAG[kind]:
        raise ValueError(f"expected a <{_ROOT_TAG[kind]}> file for {kind}, got <{root.tag}>")
    if enums is None:
        enums = parse_enumerations(xml_text)
    return [(name, _fields_of(element, name, enums)) for name, element in _parse_topics(root, kind)]


def parse_subsystems(xml_text: XmlText) -> dict[str, SubsystemEntry]:
    """Every ``<SALSubsystem>`` of SALSubsystems.xml, by name, in file order."""
    root = ET.fromstring(xml_text)
    entries: dict[str, SubsystemEntry] = {}
    for element in root.iter("SALSubsystem"):
        name = _text(element, "Name")
        if name is None:
            raise ValueError("a <SALSubsystem> has no Name")
        added = _text(element, "AddedGenerics") or ""
        entries[name] = SubsystemEntry(
            name=name,
            index_enumeration=_text(element, "IndexEnumeration") or "no",
            added_generics=tuple(a.strip() for a in added.split(",") if a.strip()),
        )
    return entries


def parse_generics(xml_text: XmlText) -> GenericTopics:
    """Generic events and commands of SALGenerics.xml with their ``Category``."""
    root = ET.fromstring(xml_text)
    enums = parse_enumerations(xml_text)
    found: dict[str, list[GenericTopic]] = {"event": [], "command": []}
    for kind in found:
        for topic_set in root.iter(_ROOT_TAG[kind]):
            for name, element in _parse_topics(topic_set, kind):
                found[kind].append(
                    GenericTopic(
                        name=name,
                        kind=kind,
                        category=_text(element, "Category"),
                        fields=tuple(_fields_of(element, name, enums)),
                    )
                )
    return GenericTopics(events=tuple(found["event"]), commands=tuple(found["command"]))


def _generic_topics(entry: SubsystemEntry, generics: GenericTopics) -> Iterable[GenericTopic]:
    """Generic topics of a component, in the order its AddedGenerics list them."""
    added = [MANDATORY] + [a for a in entry.added_generics if a != MANDATORY]
    for item in dict.fromkeys(added):
        if "_" in item:
            topic = generics.by_sal_name(item)
            if topic is None:
                raise ValueError(f"{entry.name}: AddedGenerics names unknown topic {item!r}")
            yield topic
        else:
            topics = generics.in_category(item)
            if not topics:
                raise ValueError(f"{entry.name}: AddedGenerics names unknown category {item!r}")
            yield from topics


def build_component(
    entry: SubsystemEntry,
    generics: GenericTopics,
    own_files: Mapping[str, XmlText | None],
) -> ComponentInfo:
    """Assemble a component from its subsystem entry, the generics and its own XML files.

    Parameters
    ----------
    own_files
        Text of the component's files by kind (``telemetry``, ``event``, ``command``); a
        missing key or None means the component has no file of that kind.

    Raises
    ------
    ValueError
        When a topic name appears twice (a component cannot redefine a generic topic), or an
        AddedGenerics entry is unknown.
    """
    private = private_fields(entry.index_enumeration.strip().lower() != "no")
    topics: dict[str, list[TopicInfo]] = {"telemetry": [], "event": [], "command": []}
    seen: set[str] = set()

    def add(name: str, kind: TopicKind, fields: Iterable[FieldInfo]) -> None:
        sal_name = _SAL_PREFIX[kind] + name
        if sal_name in seen:
            raise ValueError(f"{entry.name}: topic {sal_name!r} is defined twice")
        seen.add(sal_name)
        fields = tuple(fields)
        clash = {f.name for f in fields} & {f.name for f in private}
        if clash:
            raise ValueError(f"{entry.name}: topic {sal_name!r} redefines {sorted(clash)}")
        topics[kind].append(TopicInfo(name, kind, private + fields))

    for generic in _generic_topics(entry, generics):
        add(generic.name, generic.kind, generic.fields)
    # A field may name an enumeration another file of the component defines.
    enums: dict[str, tuple[int, ...]] = {}
    for text in own_files.values():
        if text is not None:
            enums.update(parse_enumerations(text))
    for kind in ("telemetry", "event", "command"):
        text = own_files.get(kind)
        if text is not None:
            for name, fields in parse_topic_file(text, kind, enums):
                add(name, kind, fields)
    return ComponentInfo(
        name=entry.name,
        index_enumeration=entry.index_enumeration,
        telemetry=tuple(topics["telemetry"]),
        events=tuple(topics["event"]),
        commands=tuple(topics["command"]),
    )
