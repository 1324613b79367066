"""When an actor drains a polled source (the simulator, a journal) next.

A source that knows when its samples are due (the simulator does) is drained right when one is
due, so a sample waits for no poll tick. Fast streams are batched by draining about every
``min_interval`` at most: the next drain is at a due time from
``last_poll + (1 - EARLY) * min_interval`` on, the source choosing within one interval the
instant that suits its streams best (`SimulatedComponent.due_after`). Landing on the source's
own ticks (a CSC publishes its telemetry on one loop) keeps the drains in step with them
instead of drifting by the wake-up delay each time. A source that cannot tell is drained every
``min_interval``. Sources with a file descriptor (salobj) are not polled at all.
"""

from __future__ import annotations

from collections.abc import Callable

#: Timers may fire a little early; draining a hair after the due time finds the sample there.
SLACK = 0.001
#: A drain may come this fraction of ``min_interval`` early, to land on a due sample.
EARLY = 0.1


def next_poll(
    last_poll: float, min_interval: float, due_after: Callable[[float, float], float | None]
) -> float:
    """Time of the next drain after one at ``last_poll``.

    Parameters
    ----------
    last_poll : float
        Time of the previous drain.
    min_interval : float
        About the shortest time between drains (s).
    due_after : callable
        ``due_after(t, span)``: a time at or after ``t`` at which a sample is due, preferably
        within ``span`` of ``t`` (``t`` itself when some sample is already due), or None when
        the source cannot tell.
    """
    earliest = last_poll + (1.0 - EARLY) * min_interval
    due = due_after(earliest, min_interval)
    if due is None:
        return last_poll + min_interval
    return max(due + SLACK, earliest)
