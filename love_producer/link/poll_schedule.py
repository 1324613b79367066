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


class PollSchedule:
    """The drain schedule of one polled source, as an actor keeps it.

    Drains happen at the polls (`next_poll`) and at the close of each heartbeat window (so a
    heartbeat due right then counts in it); other wake-ups are for state deadlines only. Only
    the polls move the schedule, and by their due time rather than by when the wake-up came,
    so it stays on the source's own ticks when wake-ups come late under load.

    Parameters
    ----------
    min_interval : float
        About the shortest time between polls (s).
    """

    def __init__(self, min_interval: float) -> None:
        self.min_interval = min_interval
        self.last_poll = 0.0
        self.poll_at: float | None = None  # the next poll (None: not planned yet)
        self.drain_at = 0.0  # the next drain: the poll or a heartbeat window's close

    def drains_at(self, now: float) -> bool:
        """Whether a wake-up at ``now`` drains the source."""
        return now >= self.drain_at

    def drained(self, now: float) -> None:
        """The source was drained at ``now``."""
        if self.poll_at is None:
            self.last_poll = now  # the first drain starts the schedule
        elif now >= self.poll_at:
            self.last_poll = max(self.poll_at, now - self.min_interval)

    def plan(
        self,
        due_after: Callable[[float, float], float | None],
        heartbeat_due: float,
        event_due: float | None = None,
    ) -> float:
        """Time of the next drain, after the last one (see `next_poll` for ``due_after``).

        ``event_due``, when the source knows it, is the next event's time: an extra drain
        then sends the event on arrival (it does not move the polls)."""
        self.poll_at = next_poll(self.last_poll, self.min_interval, due_after)
        self.drain_at = min(self.poll_at, heartbeat_due)
        if event_due is not None:
            self.drain_at = min(self.drain_at, event_due + SLACK)
        return self.drain_at
