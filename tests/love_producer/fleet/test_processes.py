"""Which CSC actor process hosts which components (love_producer.fleet.processes)."""

from __future__ import annotations

from love_producer.fleet.processes import ProcessTable


def test_components_fill_a_process_per_host_and_manager_before_a_new_one_starts() -> None:
    t = ProcessTable(2)
    assert t.place(1, "ATDome:0", "", 0) == (1, True)
    assert t.place(2, "ATMCS:0", "", 0) == (1, False)
    assert t.place(3, "ATPtg:0", "", 0) == (2, True)  # the first is full
    assert t.place(4, "MTMount:0", "mt1", 0) == (3, True)  # another host
    assert t.place(5, "Test:1", "", 9) == (4, True)  # another manager
    assert t.place(6, "Test:2", "", 0) == (2, False)
    assert (t.key_of(2), t.process_of(2), t.ref_of(1, "ATMCS:0")) == ("ATMCS:0", 1, 2)


def test_a_process_that_hosts_nothing_more_is_named_once_and_room_is_reused() -> None:
    t = ProcessTable(2)
    t.place(1, "A:0", "", 0)
    t.place(2, "B:0", "", 0)
    assert t.remove(1) is None  # B still there
    assert t.place(3, "A:0", "", 0) == (1, False)  # a restart goes where there is room
    assert t.remove(2) is None and t.remove(3) == 1  # now empty: end it
    assert t.remove(3) is None and t.processes == {}
    assert t.place(4, "A:0", "", 0) == (2, True)


def test_a_dead_process_gives_back_the_refs_it_hosted_and_repoint_names_each_process_once() -> None:
    t = ProcessTable(3)
    for ref, key in ((1, "A:0"), (2, "B:0"), (3, "C:0"), (4, "D:0")):
        t.place(ref, key, "", 0)
    assert t.repoint([1, 2, 3, 4], 7) == [1, 2]
    assert t.place(5, "E:0", "", 7) == (2, False)  # the new manager's processes take it
    assert sorted(t.forget_process(1)) == [1, 2, 3]
    assert t.process_of(1) is None and t.forget_process(1) == []
    assert t.remove(1) is None  # already gone with its process


def test_a_size_below_one_means_one_component_per_process() -> None:
    t = ProcessTable(0)
    assert [t.place(r, f"T:{r}", "", 0)[1] for r in (1, 2, 3)] == [True, True, True]
