"""The one rule that drops repeated SAL samples, applied once, by the state machines.

A sample may reach love-actors twice (salobj delivers the history sample through the callback
and again through ``get()``, a journal may hold both) or late (a writer's older sample after a
newer one). Per stream of one writer, ``(component, index, kind, topic)``:

* a sample whose ``(private_sndStamp, private_seqNum)`` equals the last admitted one's is a
  **duplicate**;
* a sample whose ``private_sndStamp`` is strictly smaller than the last admitted one's is
  **out of order** (salobj 8 drops these itself, except while reading history);
* anything else is admitted, and so is every sample without a ``private_sndStamp``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from love_producer.sal.samples import Sample

DUPLICATE = "duplicate"
OUT_OF_ORDER = "out_of_order"


class SampleFilter:
    """Remembers the last admitted stamp of every stream and drops what the rule says."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, int, str, str], tuple[float, object]] = {}
        self.dropped = {DUPLICATE: 0, OUT_OF_ORDER: 0}

    def verdict(self, sample: Sample) -> str | None:
        """None when ``sample`` is admitted (and remembered), else why it is dropped."""
        data = sample.data
        stamp = data.get("private_sndStamp")
        if not isinstance(stamp, int | float):
            return None
        ident = (float(stamp), data.get("private_seqNum"))
        key = (sample.component, sample.index, sample.kind, sample.topic)
        last = self._last.get(key)
        if last is not None:
            if ident == last:
                self.dropped[DUPLICATE] += 1
                return DUPLICATE
            if ident[0] < last[0]:
                self.dropped[OUT_OF_ORDER] += 1
                return OUT_OF_ORDER
        self._last[key] = ident
        return None

    def admit(self, samples: Iterable[Sample]) -> list[Sample]:
        """The samples the rule admits, in their order."""
        return [s for s in samples if self.verdict(s) is None]

    def forget(self, component: str, keep: Collection[int]) -> None:
        """Forget the streams of ``component`` at indices not in ``keep`` (finished scripts),
        so the memory stays bounded over a night."""
        self._last = {k: v for k, v in self._last.items() if k[0] != component or k[1] in keep}
