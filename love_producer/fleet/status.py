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
    managers: dict[str, list[dict]] = {}  # host -> its links, in the order they answered
    for h, kind, st in replies:
        if kind == "manager_client":
            managers.setdefault(h, []).append(st)
    csc = [(h, st) for h, kind, st in replies if kind == "csc"]
    by_host = {}
    if patterns is not None:
        for host in sorted(set(patterns) | set(managers)):
            links = managers.get(host, [])
            by_host[host] = {
                "manager": links[0] if links else {},
                "managers": links,
                "components": sorted(st.get("key", "") for h, st in csc if h == host),
                "pipe_dropped": sum(st.get("pipe_dropped", 0) for h, st in csc if h == host),
                "patterns": patterns.get(host, ""),
            }
    own = managers.get("", managers.get(own_host, []))
    return {
        "by_host": by_host,
        "manager": own[0] if own else {},  # the first link; `managers` has them all
        "managers": sorted(own, key=lambda m: m.get("url", "")),
        "components": sorted((st for _, st in csc), key=lambda st: st.get("key", "")),
    }
