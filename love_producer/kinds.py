"""What is special about ScriptQueue and Watcher, in one place: one `KindSpec` per kind of
component (its state machine, its simulator, the interfaces it needs besides its own, whether
its source may send commands). Chosen by name, as the upstream factory does; every other
component is of the generic kind.

The edges (sources), the fleet core and the command line read these specs; nothing else asks
whether a component is a ScriptQueue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs

from love_producer.interfaces.interface import ComponentInfo
from love_producer.sim.component import SimSettings, SimulatedComponent
from love_producer.sim.scriptqueue import SimulatedScriptQueue
from love_producer.sim.watcher import SimulatedWatcher
from love_producer.state.csc_state import CSCSettings, GenericCSC
from love_producer.state.scriptqueue_state import ScriptQueueCSC
from love_producer.state.watcher_state import WatcherCSC


@attrs.frozen
class KindSettings:
    """Settings of the specialised state machines (upstream: environment variables
    ``FINISHED_SCRIPTS_LIST_SIZE`` and ``UPDATE_SCRIPTS_SCHEMA_ON_START``)."""

    finished_list_size: int = attrs.field(default=10, validator=attrs.validators.ge(0))
    update_schemas_on_start: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> KindSettings:
        """Read the upstream variables; a bad value raises ValueError naming the variable."""
        size_text = env.get("FINISHED_SCRIPTS_LIST_SIZE", "10")
        try:
            size = int(size_text)
            if size < 0:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"FINISHED_SCRIPTS_LIST_SIZE must be a whole number >= 0, not {size_text!r}"
            ) from None
        flag = env.get("UPDATE_SCRIPTS_SCHEMA_ON_START", "False").strip().lower()
        return cls(size, flag in ("true", "1"))


#: ``(info, index, settings, start_time, related, kind settings) -> state machine``
StateFactory = Callable[
    [ComponentInfo, int, CSCSettings, float, Mapping[str, ComponentInfo], KindSettings],
    GenericCSC,
]
#: ``(info, index, seed, start_time, sim settings, related) -> simulator``
SimulatorFactory = Callable[
    [ComponentInfo, int, int, float, SimSettings, Mapping[str, ComponentInfo]], object
]


@attrs.frozen
class KindSpec:
    """One kind of component.

    Parameters
    ----------
    name : str
        ``generic``, or the SAL component name the kind is for.
    make_state : callable
        Builds the state machine (`StateFactory`).
    make_simulator : callable
        Builds the simulator of ``--source sim`` (`SimulatorFactory`).
    related : tuple of str
        Interfaces the kind reads besides its own (the ScriptQueue reads ``Script``).
    sends_commands : bool
        Whether its state machine sends SAL commands (hydration, schemas), so its source
        must be able to write; every other source stays read-only (W10).
    """

    name: str
    make_state: StateFactory
    make_simulator: SimulatorFactory
    related: tuple[str, ...] = ()
    sends_commands: bool = False


def _generic_state(info, index, settings, start_time, related, kind) -> GenericCSC:
    return GenericCSC(info, index, settings, start_time)


def _generic_sim(info, index, seed, start_time, sim, related) -> object:
    return SimulatedComponent(info, index, seed, start_time, sim)


def _scriptqueue_state(info, index, settings, start_time, related, kind) -> GenericCSC:
    return ScriptQueueCSC(
        info,
        index,
        settings,
        start_time,
        script_info=related.get("Script"),
        finished_list_size=kind.finished_list_size,
        update_schemas_on_start=kind.update_schemas_on_start,
    )


def _scriptqueue_sim(info, index, seed, start_time, sim, related) -> object:
    if "Script" not in related:  # no Script interface: a plain component of that name
        return SimulatedComponent(info, index, seed, start_time, sim)
    return SimulatedScriptQueue(info, related["Script"], index, seed, start_time, sim)


def _watcher_state(info, index, settings, start_time, related, kind) -> GenericCSC:
    return WatcherCSC(info, index, settings, start_time)


def _watcher_sim(info, index, seed, start_time, sim, related) -> object:
    return SimulatedWatcher(info, seed, start_time, sim)


GENERIC = KindSpec("generic", _generic_state, _generic_sim)
SCRIPTQUEUE = KindSpec(
    "ScriptQueue", _scriptqueue_state, _scriptqueue_sim, related=("Script",), sends_commands=True
)
#: The Watcher asks for ``showAlarms`` at start, so its source must write too.
WATCHER = KindSpec("Watcher", _watcher_state, _watcher_sim, sends_commands=True)
_SPECIAL = {spec.name: spec for spec in (SCRIPTQUEUE, WATCHER)}


def kind_of(name: str) -> KindSpec:
    """The kind of the component called ``name``."""
    return _SPECIAL.get(name, GENERIC)


def make_csc_state(
    info: ComponentInfo,
    index: int,
    settings: CSCSettings,
    start_time: float,
    related: Mapping[str, ComponentInfo] | None = None,
    kind: KindSettings | None = None,
) -> GenericCSC:
    """The state machine of ``info``'s kind."""
    return kind_of(info.name).make_state(
        info, index, settings, start_time, related or {}, kind or KindSettings()
    )
