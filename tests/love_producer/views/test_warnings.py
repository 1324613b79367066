"""Bad input summarised, not logged frame by frame (`love_producer.views.warnings`)."""

from __future__ import annotations

from love_producer.views.warnings import FIRST_LINES_PER_INTERVAL, WarningTally, warning_kind


def test_kinds_ignore_what_varies_between_frames() -> None:
    assert warning_kind("producer-3: frame is not JSON (line 1); dropped") == warning_kind(
        "producer-17: frame is not JSON (line 9); dropped"
    )
    assert warning_kind("initial_state[0]: csc missing") == warning_kind(
        "initial_state[12]: csc missing"
    )
    assert warning_kind("unknown category 'foo'") == warning_kind("unknown category 'bar'")
    assert warning_kind("not JSON") != warning_kind("too big: more than 10 bytes")


def test_a_flood_gives_one_line_per_kind_then_one_summary_per_interval() -> None:
    tally = WarningTally("frames ignored", interval=60.0)
    lines: list[str] = []
    t = 1000.0
    for i in range(595):  # 595 frames over 119 s: two kinds
        lines += tally.note("not JSON" if i % 3 else "category is not a string", t)
        t += 0.2
    lines += tally.flush(t + 60)
    assert len(lines) == 2 + 2  # the first of each kind, then a summary for each minute
    assert lines[0] == "category is not a string (more like it are counted: a summary every 60 s)"
    summaries = [line for line in lines if " in the last 60 s: " in line]
    counted = sum(int(s.split()[0]) for s in summaries)
    assert counted == 595 - 2  # every frame is in a summary, except the two logged in full
    assert tally.totals == {"not JSON": 396, "category is not a string": 199}


def test_many_kinds_are_logged_in_full_only_a_few_per_interval() -> None:
    tally = WarningTally("frames ignored", interval=10.0)
    lines = []
    for i in range(50):
        lines += tally.note(f"field f{chr(97 + i % 26)}{chr(97 + i // 26)} has the wrong type", 0.0)
    assert len(lines) == FIRST_LINES_PER_INTERVAL
    (summary,) = tally.flush(10.0)
    assert summary.startswith("45 frames ignored in the last 10 s: ")
    assert summary.endswith("and 37 other kinds")


def test_nothing_to_say_when_nothing_is_pending() -> None:
    tally = WarningTally("frames ignored", interval=10.0)
    assert tally.flush(100.0) == []
    assert len(tally.note("not JSON", 0.0)) == 1
    assert tally.flush(5.0) == [] and tally.flush(20.0) == []  # nothing beyond the first
