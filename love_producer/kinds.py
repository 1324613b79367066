"""Which state machine serves which component, chosen by name as the upstream factory does:
ScriptQueue and Watcher get their own, every other component the generic one."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from love_producer.interfaces.interface import ComponentInfo
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


#: Interfaces a kind needs besides its own.
RELATED = {"ScriptQueue": ("Script",)}


def make_csc_state(
    info: ComponentInfo,
    index: int,
    settings: CSCSettings,
    start_time: float,
    related: Mapping[str, ComponentInfo] | None = None,
    kind: KindSettings | None = None,
) -> GenericCSC:
    kind = kind or KindSettings()
    related = related or {}
    if info.name == "ScriptQueue":
        return ScriptQueueCSC(
            info,
            index,
            settings,
            start_time,
            script_info=related.get("Script"),
            finished_list_size=kind.finished_list_size,
            update_schemas_on_start=kind.update_schemas_on_start,
        )
    if info.name == "Watcher":
        return WatcherCSC(info, index, settings, start_time)
    return GenericCSC(info, index, settings, start_time)
