"""The one de-duplication rule (love_producer.sal.dedup) and where it is applied."""

from __future__ import annotations

from actors.edges.catalog import Catalog
from love_producer.sal.dedup import DUPLICATE, OUT_OF_ORDER, SampleFilter
from love_producer.sal.samples import Sample
from love_producer.state.csc_state import CSCSettings, GenericCSC

ATDOME = Catalog.builtin().get("ATDome")


def sample(topic: str, snd: float | None, seq: int, index: int = 0, comp: str = "ATDome"):
    data = {"private_seqNum": seq, "level": seq}
    if snd is not None:
        data["private_sndStamp"] = snd
    return Sample(comp, index, "event", topic, data, 100.0)


def test_a_repeated_sample_is_a_duplicate_and_an_older_one_is_out_of_order() -> None:
    f = SampleFilter()
    assert f.verdict(sample("logLevel", 10.0, 1)) is None
    assert f.verdict(sample("logLevel", 10.0, 1)) == DUPLICATE
    assert f.verdict(sample("logLevel", 9.0, 7)) == OUT_OF_ORDER
    assert f.verdict(sample("logLevel", 10.0, 2)) is None  # equal stamp, new seqNum: kept
    assert f.verdict(sample("logLevel", 11.0, 1)) is None  # a restarted writer: seqNum again
    assert f.dropped == {DUPLICATE: 1, OUT_OF_ORDER: 1}


def test_streams_are_independent_and_samples_without_stamps_pass() -> None:
    f = SampleFilter()
    assert f.admit([sample("logLevel", 10.0, 1), sample("heartbeat", 5.0, 1)]) != []
    # Another topic, another index, another component: separate streams.
    assert f.verdict(sample("heartbeat", 6.0, 2)) is None
    assert f.verdict(sample("logLevel", 1.0, 1, index=2)) is None
    assert f.verdict(sample("logLevel", 1.0, 1, comp="ATMCS")) is None
    unstamped = sample("logLevel", None, 1)
    assert f.admit([unstamped, unstamped]) == [unstamped, unstamped]


def test_admit_keeps_order_and_forget_drops_finished_indices() -> None:
    f = SampleFilter()
    a, b, c = (
        sample("state", 1.0, 1, 100001, "Script"),
        sample("state", 2.0, 2, 100001, "Script"),
        sample("state", 1.0, 1, 100002, "Script"),
    )
    assert f.admit([a, b, a, c]) == [a, b, c]
    f.forget("Script", keep={100002})
    assert f.verdict(a) is None  # 100001 was forgotten: its stream starts again
    assert f.verdict(c) == DUPLICATE  # 100002 was kept


def test_the_state_machine_applies_the_rule_and_reports_both_counts() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(), start_time=0.0)
    first = Sample(
        "ATDome",
        0,
        "event",
        "logLevel",
        {"private_sndStamp": 5.0, "private_seqNum": 1, "level": 20, "subsystem": ""},
        5.0,
    )
    late = Sample(
        "ATDome",
        0,
        "event",
        "logLevel",
        {"private_sndStamp": 4.0, "private_seqNum": 0, "level": 10, "subsystem": ""},
        5.1,
    )
    assert len(csc.on_samples([first], 5.0)) == 1
    assert csc.on_samples([first, late], 5.2) == []
    status = csc.status()
    assert (status["duplicates_dropped"], status["out_of_order_dropped"]) == (1, 1)
