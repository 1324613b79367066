"""Interface descriptions of SAL components: components, topics and fields.

These are plain values built from ts_xml (see `love_producer.interfaces.ts_xml`) or from the
built-in JSON descriptions under ``conf/interfaces``
(see `love_producer.interfaces.interface_json`).
They carry only facts (names, types, counts, units), never upstream prose.
"""

from __future__ import annotations

from typing import Literal

import attrs

TopicKind = Literal["telemetry", "event", "command"]

#: salobj attribute prefixes for each topic kind.
PREFIX: dict[str, str] = {"telemetry": "tel_", "event": "evt_", "command": "cmd_"}

#: IDL types as they appear in ts_xml ``IDL_Type``, mapped to the Python type salobj uses.
PYTHON_TYPE_OF_SAL_TYPE: dict[str, type] = {
    "boolean": bool,
    "byte": int,
    "short": int,
    "int": int,
    "long": int,
    "long long": int,
    "unsigned short": int,
    "unsigned int": int,
    "unsigned long": int,
    "unsigned long long": int,
    "float": float,
    "double": float,
    "string": str,
}


@attrs.frozen
class FieldInfo:
    """One field of a topic.

    Parameters
    ----------
    name : str
        Field name (``EFDB_Name``).
    sal_type : str
        IDL type (``boolean``, ``long``, ``double``, ``string``...).
    count : int
        Array length; 1 is a scalar.
    units : str
        Units string, ``"unitless"`` when not given.
    choices : tuple of int
        The values an enumerated field can take (its ts_xml enumeration), empty otherwise.
    """

    name: str
    sal_type: str = attrs.field(validator=attrs.validators.in_(PYTHON_TYPE_OF_SAL_TYPE))
    count: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    units: str = "unitless"
    choices: tuple[int, ...] = attrs.field(default=(), converter=tuple)

    @property
    def python_type(self) -> type:
        return PYTHON_TYPE_OF_SAL_TYPE[self.sal_type]

    def default_value(self) -> object:
        """The value salobj's ``DataType()`` holds for this field (``0``, ``0.0``, ``""``,
        ``False`` or a list of those)."""
        scalar = self.python_type()
        return [scalar] * self.count if self.count > 1 else scalar


def private_fields(indexed: bool) -> tuple[FieldInfo, ...]:
    """The private fields salobj 8 puts in front of every topic, in order."""
    fields = [FieldInfo("salIndex", "long")] if indexed else []
    fields += [
        FieldInfo("private_sndStamp", "double", units="second"),
        FieldInfo("private_rcvStamp", "double", units="second"),
        FieldInfo("private_efdStamp", "double", units="second"),
        FieldInfo("private_kafkaStamp", "double", units="second"),
        FieldInfo("private_seqNum", "long"),
        FieldInfo("private_revCode", "string"),
        FieldInfo("private_identity", "string"),
        FieldInfo("private_origin", "long"),
    ]
    return tuple(fields)


@attrs.frozen
class TopicInfo:
    """One topic: its SAL name without prefix (``position``, ``summaryState``), its kind and
    its fields in wire order (private fields first)."""

    name: str
    kind: TopicKind
    fields: tuple[FieldInfo, ...]

    @property
    def attr_name(self) -> str:
        """salobj attribute name: ``tel_position``, ``evt_summaryState``."""
        return PREFIX[self.kind] + self.name

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def default_sample(self) -> dict[str, object]:
        return {f.name: f.default_value() for f in self.fields}


@attrs.frozen
class ComponentInfo:
    """A SAL component (CSC) and its topics.

    ``index_enumeration`` is the raw ``IndexEnumeration`` of SALSubsystems.xml: ``"no"`` for a
    non-indexed component, ``"any"``, or a list of names / ``name=value`` pairs.
    """

    name: str
    index_enumeration: str = "no"
    telemetry: tuple[TopicInfo, ...] = ()
    events: tuple[TopicInfo, ...] = ()
    commands: tuple[TopicInfo, ...] = ()

    @property
    def indexed(self) -> bool:
        return self.index_enumeration.strip().lower() != "no"

    @property
    def event_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.events)

    @property
    def telemetry_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.telemetry)

    def topic(self, kind: TopicKind, name: str) -> TopicInfo | None:
        topics = {"telemetry": self.telemetry, "event": self.events, "command": self.commands}
        for t in topics[kind]:
            if t.name == name:
                return t
        return None

    def allowed_indices(self) -> dict[int, str] | None:
        """Named indices of a component with an enumerated index, or None when any positive
        index is allowed (``any``) or the component is not indexed."""
        enum = self.index_enumeration.strip()
        if enum.lower() in ("no", "any", ""):
            return None
        named: dict[int, str] = {}
        for i, item in enumerate(p.strip() for p in enum.split(",")):
            if "=" in item:
                key, value = item.split("=", 1)
                named[int(value.strip(), 0)] = key.strip()
            else:
                named[i + 1] = item
        return named

    def check_index(self, index: int) -> None:
        """Raise ValueError when ``index`` is not valid for this component."""
        if not self.indexed:
            if index != 0:
                raise ValueError(
                    f"{self.name} is not indexed: use {self.name}, not {self.name}:{index}"
                )
            return
        allowed = self.allowed_indices()
        if index <= 0:
            example = min(allowed) if allowed else 1
            raise ValueError(
                f"{self.name} is indexed: name one instance, for example {self.name}:{example}"
                " (index 0 would mix every instance into one stream)"
            )
        if allowed is not None and index not in allowed:
            choices = ", ".join(f"{i} ({n})" for i, n in sorted(allowed.items()))
            raise ValueError(f"{self.name}: index {index} is not one of {choices}")
