"""The LOVE payload of a SAL topic: ``{field: {"value", "dataType", "units"}}`` per sample.

Wire format (``spec/love-producer-behaviour.md`` §3.3-3.5): every field of the topic, private
fields first, each as ``{"value": v, "dataType": dt, "units": u}``. ``dataType`` comes from
the field's *default* value, never from the live one, so booleans are labelled ``Int``.
Telemetry payloads are a dict, event payloads a one-element list.

Speed (W14): the static text around each value (field name, ``dataType``, ``units``) is
rendered once per topic into a ``%`` template; per sample only the values are encoded and
spliced in. The output is strict JSON: NaN and infinities become ``null`` (W12).
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from love_producer.interfaces.interface import TopicInfo

_MISSING = object()
_NUMPY = orjson.OPT_SERIALIZE_NUMPY


def data_type(default: object) -> str:
    """LOVE ``dataType`` label of a field, from its default value (§3.3).

    ``bool`` is an ``int`` in Python, hence ``"Int"``; a list is ``"Array<"`` + the label of
    its first element + ``">"``.
    """
    if isinstance(default, str):
        return "String"
    if isinstance(default, float):
        return "Float"
    if isinstance(default, int):  # bool included
        return "Int"
    if isinstance(default, list | tuple):
        inner = data_type(default[0]) if default else "None"
        return f"Array<{inner}>"
    return "None"


def _plain(value: object) -> object:
    """orjson ``default`` hook: numpy-like objects become Python values; others fail."""
    tolist = getattr(value, "tolist", None)
    if tolist is not None:
        return tolist()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def encode_value(value: object) -> str:
    """Strict JSON text of one field value (the slow, general path).

    Raises
    ------
    TypeError
        For a value with no JSON form (not a number, string, bool, list or numpy value).
    """
    if type(value) is float:
        return repr(value) if value - value == 0.0 else "null"
    return orjson.dumps(value, default=_plain, option=_NUMPY).decode()


class TopicEncoder:
    """Encodes samples of one topic as LOVE payload text.

    Parameters
    ----------
    topic : TopicInfo
        The topic; its ``fields`` give the order of the payload.
    """

    __slots__ = ("topic", "_names", "_defaults", "_telemetry_template", "_event_template")

    def __init__(self, topic: TopicInfo) -> None:
        self.topic = topic
        self._names = tuple(f.name for f in topic.fields)
        self._defaults = tuple(encode_value(f.default_value()) for f in topic.fields)
        # statics[i] is the text before value i; the last item closes the dict.
        statics: list[str] = []
        before = "{"
        for f in topic.fields:
            statics.append(f'{before}{_text(f.name)}:{{"value":')
            before = (
                f',"dataType":{_text(data_type(f.default_value()))},"units":{_text(f.units)}}},'
            )
        statics.append(before[:-1] + "}" if topic.fields else "{}")
        template = "%s".join(s.replace("%", "%%") for s in statics)
        self._telemetry_template = template
        self._event_template = "[" + template + "]"

    def telemetry(self, data: Mapping[str, object]) -> str:
        """Telemetry payload: ``{"field": {...}, ...}``."""
        return self._telemetry_template % self._values(data)

    def event(self, data: Mapping[str, object]) -> str:
        """Event payload: ``[{"field": {...}, ...}]``."""
        return self._event_template % self._values(data)

    def _values(self, data: Mapping[str, object]) -> tuple[str, ...]:
        """JSON text of each field value, in field order; defaults for missing fields."""
        try:
            return self._fast_values(data)
        except TypeError:
            return self._checked_values(data)

    def _fast_values(self, data: Mapping[str, object]) -> tuple[str, ...]:
        out: list[str] = []
        append = out.append
        get = data.get
        dumps = orjson.dumps
        for name, default in zip(self._names, self._defaults, strict=True):
            v = get(name, _MISSING)
            t = type(v)
            if t is float:
                append(repr(v) if v - v == 0.0 else "null")  # inf - inf and nan - nan are nan
            elif t is int:
                append(int.__repr__(v))
            elif t is bool:
                append("true" if v else "false")
            elif t is str or t is list:
                append(dumps(v, default=_plain, option=_NUMPY).decode())
            elif v is _MISSING:
                append(default)
            else:
                append(encode_value(v))
        return tuple(out)

    def _checked_values(self, data: Mapping[str, object]) -> tuple[str, ...]:
        """Slow path after a failure: name the field that cannot be encoded."""
        out: list[str] = []
        for name, default in zip(self._names, self._defaults, strict=True):
            v = data.get(name, _MISSING)
            try:
                out.append(default if v is _MISSING else encode_value(v))
            except TypeError as exc:
                raise TypeError(f"{self.topic.name}.{name}: {exc}") from exc
        return tuple(out)


def _text(s: str) -> str:
    return orjson.dumps(s).decode()
