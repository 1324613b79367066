"""Messages between actors: small frozen attrs classes, picklable across processes and hosts.

Data moves in batches (`FrameBatch`): Thespian's TCP transport carries a few hundred separate
messages per second between two actors, but thousands of items when each message holds many.
"""

from __future__ import annotations

import attrs

from actors.edges.settings import RecordConfig, SourceConfig
from love_producer.fleet.core import FleetConfig, route
from love_producer.interfaces.component_id import ComponentId
from love_producer.interfaces.interface import ComponentInfo
from love_producer.kinds import KindSettings
from love_producer.link.manager_link import LinkSettings
from love_producer.state.csc_state import CSCSettings
from love_producer.wire.frames import Frame
from love_producer.wire.requests import InitialStateRequest

#: Bumped when a message changes shape in a way an older peer cannot read.
PROTOCOL_VERSION = 1


#: Components one CSC actor process hosts unless --components-per-actor says otherwise
#: (docs/benchmarks.md, "Components per actor process").
DEFAULT_PER_ACTOR = 10


@attrs.frozen
class RunConfig:
    """Everything the Factory needs to run a host's share of the system."""

    components: tuple[ComponentId, ...]
    infos: dict  # ComponentId -> ComponentInfo, resolved before start
    manager_url: str
    password: str = attrs.field(repr=False)
    source: SourceConfig = attrs.field(factory=SourceConfig)
    csc: CSCSettings = attrs.field(factory=CSCSettings)
    kind: KindSettings = attrs.field(factory=KindSettings)
    related: dict = attrs.field(factory=dict)  # name -> ComponentInfo (Script for ScriptQueue)
    xml_dir: str | None = None
    on_demand: str | None = None
    on_demand_names: tuple[str, ...] = ()
    idle_timeout: float = 900.0
    max_message_bytes: int = 512 * 1024
    watch: bool = True
    cluster: bool = False  # a convention leader: place components on member hosts
    host_id: str = ""  # this host's id in the convention
    patterns: str = "*"  # components this host may run itself
    capacity: int = 1000  # most components this host runs itself
    components_per_actor: int = DEFAULT_PER_ACTOR  # components one CSC actor process hosts
    version: int = PROTOCOL_VERSION
    record: RecordConfig | None = None
    link_settings: LinkSettings = attrs.field(factory=LinkSettings)
    routes: tuple[tuple[str, str], ...] = ()  # (name pattern, manager URL), first match
    notes: tuple[str, ...] = ()  # what the command says about this configuration at start

    def manager_client_start(
        self, url: str, own: bool, factory: object, default_url: str
    ) -> StartManagerClient:
        """The start message of a ManagerClient; ``own``: on the leader's own host, which
        holds the password (a member reads its own PROCESS_CONNECTION_PASS). It registers
        for the on-demand components routed to its manager (``default_url``: its host's
        default manager)."""
        names = tuple(n for n in self.on_demand_names if route(self.routes, n, default_url) == url)
        return StartManagerClient(
            url=url,
            password=self.password if own else None,
            factory=factory,
            extra_names=names,
            max_message_bytes=self.max_message_bytes,
            watch=self.watch,
            record=self.record,
            settings=self.link_settings if own else LinkSettings(),
        )

    def csc_start(
        self,
        component: ComponentId,
        info: ComponentInfo,
        manager_client: object,
        related: dict,
        idle_timeout: float | None = None,
        source_kind: str | None = None,
    ) -> StartCSC:
        """The start message of a CSC actor; ``source_kind`` overrides the source's kind
        (a member host's own); the actor reads the start time from its own clock."""
        source = self.source if source_kind is None else attrs.evolve(self.source, kind=source_kind)
        return StartCSC(
            component=component,
            info=info,
            source=source,
            settings=self.csc,
            manager_client=manager_client,
            start_time=None,
            idle_timeout=idle_timeout,
            related=related,
            kind=self.kind,
            record=self.record,
        )

    def fleet_config(self) -> FleetConfig:
        """What the fleet protocol (`love_producer.fleet.core`) needs of this configuration."""
        return FleetConfig(
            components=tuple(self.components),
            manager_url=self.manager_url,
            on_demand=self.on_demand,
            idle_timeout=self.idle_timeout,
            cluster=self.cluster,
            own_host=self.host_id,
            patterns=self.patterns,
            capacity=self.capacity,
            routes=self.routes,
        )


@attrs.frozen
class StartFactory:
    config: RunConfig


@attrs.frozen
class StartManagerClient:
    url: str
    password: str | None = attrs.field(repr=False)  # None: the host's PROCESS_CONNECTION_PASS
    factory: object = None  # ActorAddress of the Factory (unroutable requests go there)
    extra_names: tuple[str, ...] = ()  # initial_state groups to join for on-demand components
    max_message_bytes: int = 512 * 1024
    watch: bool = True  # ThespianWatch works (multiprocTCPBase); else poll with wakeups
    record: RecordConfig | None = None
    settings: LinkSettings = attrs.field(factory=LinkSettings)  # named in refusals


@attrs.frozen
class StartCSC:
    component: ComponentId
    info: ComponentInfo
    source: SourceConfig
    settings: CSCSettings
    manager_client: object  # ActorAddress
    start_time: float | None  # None: when the CSC actor starts, by its clock
    idle_timeout: float | None = None  # on-demand components stop after this long unasked
    related: dict = attrs.field(factory=dict)
    kind: KindSettings = attrs.field(factory=KindSettings)
    record: RecordConfig | None = None


@attrs.frozen
class UseManagerClient:
    """The ManagerClient was restarted: send frames to this address from now on."""

    address: object


@attrs.frozen
class StopComponent:
    """Stop hosting this component (a CSC actor may host several, `--components-per-actor`)."""

    key: str


@attrs.frozen
class ComponentGone:
    """A CSC actor no longer hosts ``key``: it was told to stop, or it failed (``reason``)."""

    key: str
    reason: str = ""


@attrs.frozen
class Idle:
    """An on-demand CSC actor had no request for its idle timeout."""

    key: str


@attrs.frozen
class RegisterCSC:
    """A CSC actor tells the ManagerClient which initial_state groups it answers."""

    key: str
    names: tuple[str, ...]


@attrs.frozen
class UnregisterCSC:
    key: str


@attrs.frozen
class FrameBatch:
    frames: tuple[Frame, ...]


@attrs.frozen
class FramePipe:
    """The ManagerClient's local frame socket (`actors.edges.frame_pipe`): send frames there."""

    address: str


@attrs.frozen
class ManagerConnected:
    """The websocket is (again) up: CSC actors re-send their cached events."""

    key: str = ""  # the component ("": every component of the actor)


@attrs.frozen
class Requests:
    """initial_state requests from the manager, for one CSC actor (or the Factory)."""

    requests: tuple[InitialStateRequest, ...]
    key: str = ""  # the component they are for ("": the actor's only one)


@attrs.frozen
class StatusRequest:
    request_id: int = 0
    key: str | None = None  # of a CSC actor: the component (None: its only one)


@attrs.frozen
class StatusReply:
    request_id: int
    kind: str  # "factory" | "manager_client" | "csc"
    status: dict


@attrs.frozen
class SetLoad:
    """Benchmarks only: simulated sources multiply their telemetry rates by ``rate_scale``
    (``bench --overload``). The Factory forwards it to every CSC actor and answers with the
    number of processes told."""

    rate_scale: float


@attrs.frozen
class LoadSet:
    processes: int


@attrs.frozen
class StopAll:
    """Ask the Factory to stop every actor it started; it answers `Stopped`."""


@attrs.frozen
class Stopped:
    pass


@attrs.frozen
class Started:
    """The Factory's answer to `StartFactory`: what it started and what it refused."""

    components: tuple[str, ...]
    errors: tuple[str, ...] = ()
    session: int | None = None  # the actor system's session (every actor process is in it)


@attrs.frozen
class Rebalance:
    """Even out the components over the hosts (multi-host only); answered by `Rebalanced`."""


@attrs.frozen
class Rebalanced:
    moves: tuple[tuple[str, str, str], ...]  # (component, from host, to host)
