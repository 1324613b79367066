"""Commands a state machine asks the SAL source to send (hydration, schema fetches).

They are fire-and-forget from the domain's view: the actor collects them with
``state.take_commands()`` after each call into the state machine and hands them to the source;
whatever the component answers comes back only as ordinary events (``queue``, ``script``,
``configSchema``, ``alarm``...).
"""

from __future__ import annotations

import attrs


@attrs.frozen
class SalCommand:
    """One SAL command to send.

    Parameters
    ----------
    component : str
        SAL component name, e.g. ``ScriptQueue``.
    index : int
        SAL index of the instance that must receive it (0 when not indexed).
    name : str
        Command name without prefix (``showQueue``, ``showSchema``...).
    fields : dict
        Command field values by field name (private fields and ``salIndex`` excluded).
    """

    component: str
    index: int
    name: str
    fields: dict = attrs.field(factory=dict, converter=dict)
