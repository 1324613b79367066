"""The Factory's status: its children's replies combined into one document."""

from __future__ import annotations


def combine_status(
    replies: list[tuple[str, str, dict]],
    patterns: dict[str, str] | None = None,
    own_host: str = "",
) -> dict:
    """The Factory's status from its children's replies ``(host, kind, status)``.

    ``patterns`` (host -> component patterns) is given on a convention leader only: then the
    result also has ``by_host``, one entry per known host, even one that did not answer.
    """
    managers = {h: st for h, kind, st in replies if kind == "manager_client"}
    csc = [(h, st) for h, kind, st in replies if kind == "csc"]
    by_host = {}
    if patterns is not None:
        for host in sorted(set(patterns) | set(managers)):
            by_host[host] = {
                "manager": managers.get(host, {}),
                "components": sorted(st.get("key", "") for h, st in csc if h == host),
                "pipe_dropped": sum(st.get("pipe_dropped", 0) for h, st in csc if h == host),
                "patterns": patterns.get(host, ""),
            }
    return {
        "by_host": by_host,
        "manager": managers.get("", managers.get(own_host, {})),
        "components": sorted((st for _, st in csc), key=lambda st: st.get("key", "")),
    }
