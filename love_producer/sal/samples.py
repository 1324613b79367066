"""SAL samples as the domain sees them: plain dicts tagged with their topic."""

from __future__ import annotations

from typing import Literal

import attrs

SampleKind = Literal["telemetry", "event"]

#: TAI - UTC in seconds (since 2017): SAL stamps (``private_sndStamp``) are TAI.
TAI_MINUS_UTC = 37.0


@attrs.frozen(slots=True)
class Sample:
    """One SAL sample.

    Parameters
    ----------
    component : str
        Component name, e.g. ``ATDome``.
    index : int
        SAL index of the instance that wrote it (0 when not indexed).
    kind : str
        ``telemetry`` or ``event``.
    topic : str
        Topic name without prefix (``position``, ``summaryState``): the topic identity is
        bound where the sample is read, never looked up from ``private_revCode`` (W4).
    data : dict
        Field values in field order, private fields included.
    rcv_time : float
        When love-actors received it (UTC Unix seconds); the domain reads time only from here
        and from ``tick(now)``.
    """

    component: str
    index: int
    kind: SampleKind
    topic: str
    data: dict
    rcv_time: float
