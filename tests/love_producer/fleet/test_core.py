"""The fleet protocol (love_producer.fleet.core) without actors: events in, commands out.

A small driver stands in for the Factory: it numbers what the fleet spawns, delivers exits,
pongs and status replies, and runs the timers on a virtual clock.
"""

from __future__ import annotations

from love_producer.fleet import core
from love_producer.fleet.core import Fleet, FleetConfig, HostInfo, manager_key
from love_producer.fleet.liveness import PING_PERIOD, SILENCE_LIMIT
from love_producer.interfaces.component_id import ComponentId
from love_producer.wire.requests import InitialStateRequest

ATDOME, ATMCS, MTMOUNT = (
    ComponentId("ATDome", 0),
    ComponentId("ATMCS", 0),
    ComponentId("MTMount", 0),
)
HEX1 = ComponentId("MTHexapod", 1)


class Driver:
    """Carries out the fleet's commands the way the Factory does, on a virtual clock."""

    def __init__(self, config: FleetConfig) -> None:
        self.fleet = Fleet(config)
        self.now = 0.0
        self.spawned: dict[int, object] = {}  # ref -> SpawnCSC | SpawnManager
        self.stopped: list[int] = []
        self.replies: list[core.Reply] = []
        self.commands: list = []

    def run(self, commands: list) -> list:
        self.commands += commands
        for cmd in commands:
            if isinstance(cmd, core.SpawnCSC | core.SpawnManager):
                self.spawned[cmd.ref] = cmd
            elif isinstance(cmd, core.StopChild):
                self.stopped.append(cmd.ref)
            elif isinstance(cmd, core.Reply):
                self.replies.append(cmd)
        return commands

    def advance(self, seconds: float) -> None:
        """Let time pass, running every timer on the way (as the Factory's wake-ups do)."""
        end = self.now + seconds
        while (due := self.fleet.next_deadline()) is not None and due <= end:
            self.now = max(self.now, due)
            self.run(self.fleet.tick(self.now))
        self.now = end

    def ref(self, key: str) -> int:
        return self.fleet.children[key].ref

    def where(self) -> dict[str, str]:
        return {k: c.host for k, c in self.fleet.children.items() if c.component is not None}

    def of(self, kind: type) -> list:
        return [c for c in self.commands if isinstance(c, kind)]


def single(*components: ComponentId, **kw) -> Driver:
    d = Driver(FleetConfig(components=components, manager_url="ws://m/ws", **kw))
    d.run(d.fleet.configure(d.now))
    return d


# ------------------------------------------------------------------------- one host


def test_start_spawns_the_manager_client_first_and_every_component_pointing_at_it() -> None:
    d = single(ATDOME, HEX1)
    first, *cscs = [c for c in d.commands if isinstance(c, core.SpawnCSC | core.SpawnManager)]
    assert isinstance(first, core.SpawnManager) and first.own and first.url == "ws://m/ws"
    assert [c.component for c in cscs] == [ATDOME, HEX1]
    assert all(c.manager == first.ref and not c.on_demand for c in cscs)
    assert d.fleet.started() == (("ATDome:0", "MTHexapod:1"), ())


def test_a_dead_component_restarts_alone_with_a_doubling_delay() -> None:
    d = single(ATDOME, HEX1)
    delays = []
    for _ in range(3):
        old = d.ref("ATDome:0")
        d.run(d.fleet.child_exited(old, d.now))
        died = d.now
        assert "ATDome:0" not in d.fleet.children
        d.advance(60.0)
        new = d.ref("ATDome:0")
        assert new != old and d.spawned[new].component == ATDOME
        delays.append(min(c.at for c in d.of(core.ArmTimer) if c.at > died) - died)
    assert delays == [0.5, 1.0, 2.0]
    assert d.fleet.children["MTHexapod:1"].ref == 3  # untouched


def test_a_restarted_manager_client_gets_every_component_repointed() -> None:
    d = single(ATDOME, HEX1)
    d.run(d.fleet.child_exited(d.ref(manager_key("")), d.now))
    d.advance(1.0)
    (repoint,) = d.of(core.Repoint)
    assert repoint.manager == d.ref(manager_key(""))
    assert set(repoint.refs) == {d.ref("ATDome:0"), d.ref("MTHexapod:1")}


def test_a_second_exit_report_and_unknown_refs_change_nothing() -> None:
    d = single(ATDOME)
    ref = d.ref("ATDome:0")
    d.run(d.fleet.child_exited(ref, d.now))
    assert d.fleet.child_exited(ref, d.now) == []
    assert d.fleet.child_exited(999, d.now) == []
    assert len(d.of(core.ArmTimer)) == 1


def request(csc: str, salindex: object = 0) -> InitialStateRequest:
    return InitialStateRequest(csc, salindex, "summaryState")


def test_on_demand_starts_matching_components_once_and_idle_stops_them_for_good() -> None:
    d = single(ATDOME, on_demand="MT*", idle_timeout=30.0)
    asked = [request("MTMount"), request("MTMount"), request("ATMCS"), request("MTHexapod", "x")]
    assert d.fleet.wanted(asked) == [MTMOUNT]  # pattern, index type, duplicates
    assert d.fleet.wanted([request("ATDome")]) == []  # runs already
    d.run(d.fleet.start_on_demand(MTMOUNT, d.now))
    spawn = d.of(core.SpawnCSC)[-1]
    assert spawn.component == MTMOUNT and spawn.on_demand and spawn.idle_timeout == 30.0
    assert d.fleet.wanted([request("MTMount")]) == []
    assert d.fleet.ask_status("me", d.now) == [
        core.AskStatus(d.ref(manager_key("")), 4),
        core.AskStatus(d.ref("ATDome:0"), 4),
        core.AskStatus(spawn.ref, 4),
        core.ArmTimer(d.now + core.STATUS_TIMEOUT),
    ]

    d.run(d.fleet.idle("MTMount:0", d.now))
    assert d.of(core.Unregister) == [core.Unregister(d.ref(manager_key("")), "MTMount:0")]
    assert d.stopped == [spawn.ref]
    d.run(d.fleet.child_exited(spawn.ref, d.now))
    d.advance(60.0)
    assert "MTMount:0" not in d.fleet.children  # stopped on purpose: not restarted
    assert d.fleet.idle("ATDome:0", d.now) == []  # configured components never idle out
    d.run(d.fleet.start_on_demand(MTMOUNT, d.now))  # asked again: starts again
    assert "MTMount:0" in d.fleet.children


def test_status_is_answered_when_all_replied_or_at_the_timeout() -> None:
    d = single(ATDOME, HEX1)
    d.run(d.fleet.ask_status("asker", d.now))
    gid = d.of(core.AskStatus)[0].gather
    d.run(d.fleet.status_reply(gid, d.ref(manager_key("")), "manager_client", {"connected": True}))
    d.run(d.fleet.status_reply(gid, d.ref("ATDome:0"), "csc", {"key": "ATDome:0"}))
    assert d.replies == []
    d.advance(core.STATUS_TIMEOUT)
    (reply,) = d.replies
    status = reply.message.status
    assert reply.to == "asker" and status["unanswered"] == ["MTHexapod:1"]
    assert status["manager"] == {"connected": True}
    assert [c["key"] for c in status["components"]] == ["ATDome:0"]


def test_stop_answers_once_every_child_exited_and_nothing_restarts() -> None:
    d = single(ATDOME)
    d.run(d.fleet.child_exited(d.ref("ATDome:0"), d.now))  # a restart is pending
    d.run(d.fleet.stop("stopper", d.now))
    assert d.stopped == [d.ref(manager_key(""))]
    assert d.replies == []
    d.run(d.fleet.child_exited(d.ref(manager_key("")), d.now))
    assert [r.to for r in d.replies] == ["stopper"]
    d.advance(60.0)
    assert d.of(core.SpawnCSC)[-1].ref == 2  # the pending restart did not happen
    assert d.fleet.wanted([request("ATDome")]) == []


def test_stop_stops_the_components_first_and_the_manager_client_once_they_are_gone() -> None:
    # A ManagerClient that exits first breaks every frame pipe with frames still in it.
    d = single(ATDOME, HEX1)
    mc, dome, hexa = d.ref(manager_key("")), d.ref("ATDome:0"), d.ref("MTHexapod:1")
    d.run(d.fleet.stop("stopper", d.now))
    assert sorted(d.stopped) == sorted([dome, hexa])
    d.run(d.fleet.child_exited(dome, d.now))
    assert mc not in d.stopped
    d.run(d.fleet.child_exited(hexa, d.now))
    assert d.stopped[-1] == mc and d.stopped.count(mc) == 1
    assert d.replies == []
    d.run(d.fleet.child_exited(mc, d.now))
    assert [r.to for r in d.replies] == ["stopper"]


def test_a_component_that_never_exits_still_lets_the_manager_client_stop_at_the_timeout() -> None:
    d = single(ATDOME)
    mc = d.ref(manager_key(""))
    d.run(d.fleet.stop("stopper", d.now))
    d.advance(core.STOP_TIMEOUT + 0.1)
    assert mc in d.stopped and [r.to for r in d.replies] == ["stopper"]


def test_stop_answers_after_its_timeout_when_a_child_never_exits() -> None:
    d = single(ATDOME)
    d.run(d.fleet.stop("stopper", d.now))
    d.advance(core.STOP_TIMEOUT - 0.1)
    assert d.replies == []
    d.advance(0.2)
    assert [r.to for r in d.replies] == ["stopper"]


def test_a_spawn_that_fails_at_start_is_reported_later_ones_are_retried() -> None:
    d = single(ATDOME, HEX1)
    d.run(d.fleet.spawn_failed(d.ref("ATDome:0"), "no fork", d.now))
    assert d.fleet.started() == (("MTHexapod:1",), ("ATDome: no fork",))
    d.run(d.fleet.spawn_failed(d.ref("MTHexapod:1"), "no fork", d.now))
    d.advance(1.0)
    assert "MTHexapod:1" in d.fleet.children  # after the start was answered: restarted


# ------------------------------------------------------------------------- several hosts


def cluster(*components: ComponentId) -> Driver:
    config = FleetConfig(
        components=components, cluster=True, own_host="leader", patterns="AT*", capacity=10
    )
    d = Driver(config)
    d.run(d.fleet.configure(d.now))
    return d


def join(d: Driver, host: str, patterns: str, capacity: int = 10) -> None:
    info = HostInfo(patterns, capacity, f"ws://{host}/ws", "sim")
    d.run(d.fleet.host_joined(host, info, d.now))


def answer_pings(d: Driver, hosts: set[str]) -> None:
    """Every host in ``hosts`` answers the pings of the last period."""
    for cmd in d.of(core.Ping):
        child = d.fleet.child(cmd.ref)
        stale = any(cmd.ref in refs and h in hosts for h, refs in d.fleet.stale.items())
        if stale or (child is not None and child.host in hosts):
            d.run(d.fleet.pong(cmd.ref, d.now))
    d.commands = [c for c in d.commands if not isinstance(c, core.Ping)]


def run_for(d: Driver, seconds: float, answering: set[str]) -> None:
    for _ in range(int(seconds / PING_PERIOD)):
        d.advance(PING_PERIOD)
        answer_pings(d, answering)


def test_components_wait_for_a_fitting_host_and_go_to_the_least_loaded_one() -> None:
    d = cluster(ATDOME, ATMCS, MTMOUNT, HEX1)
    assert d.where() == {"ATDome:0": "leader", "ATMCS:0": "leader"}
    assert d.fleet.started()[1] == (
        "MTMount: no host fits it yet; waiting",
        "MTHexapod:1: no host fits it yet; waiting",
    )
    join(d, "mt", "MT*")
    assert d.where()["MTMount:0"] == "mt" and d.where()["MTHexapod:1"] == "mt"
    manager = d.fleet.children[manager_key("mt")]
    spawn = [c for c in d.of(core.SpawnCSC) if c.component == MTMOUNT][0]
    assert spawn.manager == manager.ref and spawn.source == "sim"
    assert d.spawned[manager.ref].url == "ws://mt/ws" and not d.spawned[manager.ref].own


def test_a_silent_host_is_lost_and_its_components_move_to_another_that_fits() -> None:
    d = cluster(MTMOUNT, HEX1)
    join(d, "mt1", "MT*", capacity=1)  # takes the first, the other waits
    join(d, "mt2", "MT*")
    assert d.where() == {"MTMount:0": "mt1", "MTHexapod:1": "mt2"}
    run_for(d, SILENCE_LIMIT - PING_PERIOD, answering={"mt2"})
    assert d.where() == {"MTMount:0": "mt1", "MTHexapod:1": "mt2"}  # silent, not lost yet
    run_for(d, 3 * PING_PERIOD, answering={"mt2"})
    assert d.where() == {"MTMount:0": "mt2", "MTHexapod:1": "mt2"}
    assert "mt1" not in d.fleet.hosts and len(d.fleet.stale["mt1"]) == 2  # CSC and manager


def test_a_partition_that_heals_stops_the_replaced_actors_and_keeps_the_new_ones() -> None:
    d = cluster(MTMOUNT)
    join(d, "mt1", "MT*")
    join(d, "mt2", "MT*")
    first, other = "mt1", "mt2"
    assert d.where()["MTMount:0"] == first
    old_refs = {d.ref("MTMount:0"), d.ref(manager_key(first))}
    run_for(d, SILENCE_LIMIT + 2 * PING_PERIOD, answering={other})
    assert d.where()["MTMount:0"] == other
    moved_ref = d.ref("MTMount:0")
    assert not old_refs & set(d.stopped)
    run_for(d, 2 * PING_PERIOD, answering={"mt1", "mt2"})  # the link heals
    assert old_refs <= set(d.stopped)  # the old copies stop: nothing streams twice
    assert first in d.fleet.hosts and first not in d.fleet.stale
    assert d.ref("MTMount:0") == moved_ref and manager_key(first) in d.fleet.children


def test_a_host_that_rejoins_through_the_convention_also_stops_its_old_actors() -> None:
    d = cluster(MTMOUNT)
    join(d, "mt1", "MT*")
    old = d.ref("MTMount:0")
    d.run(d.fleet.host_left("mt1", d.now))
    assert d.where() == {}  # no other host fits: waiting
    assert d.fleet.unplaced == [(MTMOUNT, False)]
    join(d, "mt1", "MT*")
    assert old in d.stopped and d.where() == {"MTMount:0": "mt1"}


def test_rebalance_evens_out_and_moves_nothing_that_fits_nowhere_else() -> None:
    d = cluster(*[ComponentId("MTHexapod", i) for i in (1, 2, 3, 4)])
    join(d, "mt1", "MT*")
    join(d, "mt2", "MT*")  # joins empty: every component is already on mt1
    assert set(d.where().values()) == {"mt1"}
    d.run(d.fleet.rebalance("asker", d.now))
    (reply,) = d.replies
    moves = reply.message.moves
    assert len(moves) == 2 and all(src == "mt1" and dst == "mt2" for _, src, dst in moves)
    for key, _, _ in moves:
        assert d.where()[key] == "mt2"
    assert sorted(d.where().values()) == ["mt1", "mt1", "mt2", "mt2"]
    assert len(d.of(core.Unregister)) == 2 and len(d.stopped) == 2
    d.run(d.fleet.rebalance("asker", d.now))
    assert d.replies[-1].message.moves == ()


def test_rebalance_on_a_single_host_moves_nothing() -> None:
    d = single(ATDOME)
    d.run(d.fleet.rebalance("asker", d.now))
    assert d.replies[-1].message == core.Rebalanced(())


def test_a_restart_is_dropped_when_its_host_left_meanwhile() -> None:
    d = cluster(MTMOUNT)
    join(d, "mt1", "MT*")
    join(d, "mt2", "XX*")
    d.run(d.fleet.child_exited(d.ref("MTMount:0"), d.now))
    d.run(d.fleet.host_left("mt1", d.now))
    d.advance(60.0)
    assert "MTMount:0" not in d.fleet.children


def test_status_of_a_leader_has_every_host() -> None:
    d = cluster(ATDOME, MTMOUNT)
    join(d, "mt", "MT*")
    d.run(d.fleet.ask_status("asker", d.now))
    gid = d.of(core.AskStatus)[0].gather
    for key, kind in (("ATDome:0", "csc"), ("MTMount:0", "csc")):
        d.run(d.fleet.status_reply(gid, d.ref(key), kind, {"key": key}))
    for host in ("leader", "mt"):
        d.run(d.fleet.status_reply(gid, d.ref(manager_key(host)), "manager_client", {}))
    status = d.replies[-1].message.status
    assert status["unanswered"] == []
    assert {h: v["components"] for h, v in status["by_host"].items()} == {
        "leader": ["ATDome:0"],
        "mt": ["MTMount:0"],
    }


# ------------------------------------------------------------------------- several managers


def test_each_component_goes_to_the_manager_its_route_names() -> None:
    d = single(ATDOME, ATMCS, MTMOUNT, routes=(("ATD*", "ws://at/ws"), ("AT*", "ws://b/ws")))
    managers = {c.url: c for c in d.of(core.SpawnManager)}
    assert set(managers) == {"ws://at/ws", "ws://b/ws", "ws://m/ws"}  # one link per manager
    by_component = {c.component: c.manager for c in d.of(core.SpawnCSC)}
    assert by_component[ATDOME] == managers["ws://at/ws"].ref  # first match wins
    assert by_component[ATMCS] == managers["ws://b/ws"].ref
    assert by_component[MTMOUNT] == managers["ws://m/ws"].ref  # no route: the default
    assert all(m.default_url == "ws://m/ws" for m in managers.values())


def test_a_restarted_link_repoints_only_its_components() -> None:
    d = single(ATDOME, MTMOUNT, routes=(("AT*", "ws://at/ws"),))
    at_link = next(c for c in d.of(core.SpawnManager) if c.url == "ws://at/ws")
    d.run(d.fleet.child_exited(at_link.ref, d.now))
    d.advance(1.0)
    (repoint,) = d.of(core.Repoint)
    assert repoint.refs == (d.ref("ATDome:0"),)
    assert d.spawned[repoint.manager].url == "ws://at/ws"


def test_an_idle_component_is_unregistered_from_its_own_link() -> None:
    d = single(ATDOME, on_demand="MT*", routes=(("MT*", "ws://mt/ws"),))
    d.run(d.fleet.start_on_demand(MTMOUNT, d.now))
    mt_link = next(c for c in d.of(core.SpawnManager) if c.url == "ws://mt/ws")
    d.run(d.fleet.idle("MTMount:0", d.now))
    assert d.of(core.Unregister) == [core.Unregister(mt_link.ref, "MTMount:0")]
