"""Which topics a component forwards: the upstream producer's ``--periodic-data`` and
``--asynchronous-data`` lists, and love-actors' own ``--topics``, checked against the
interfaces.

Topics are named as salobj attributes: ``tel_<name>`` for telemetry, ``evt_<name>`` for
events. The category of a forwarded topic follows its kind, as upstream (telemetry frames for
``tel_``, event frames for ``evt_``). A component with a selection forwards only those topics;
without ``evt_heartbeat`` in it there is no Heartbeat stream for it, as upstream (the split
MTM1M3 pods send it once, not four times).

Upstream's traps are errors here (W13): a name that fits none of the components is refused
with a suggestion; a name that fits some applies to those, and a note says which it skipped.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

import attrs

from love_producer.interfaces.component_id import ComponentId
from love_producer.interfaces.interface import ComponentInfo

PREFIXES = {"tel_": "telemetry", "evt_": "event"}
Selection = frozenset[tuple[str, str]]  # (kind, topic name)


def attribute_names(info: ComponentInfo) -> dict[str, tuple[str, str]]:
    """``tel_position`` -> ``("telemetry", "position")``, for every telemetry and event topic."""
    names = {f"tel_{t.name}": ("telemetry", t.name) for t in info.telemetry}
    names.update({f"evt_{t.name}": ("event", t.name) for t in info.events})
    return names


def only(info: ComponentInfo, selection: Selection) -> ComponentInfo:
    """``info`` reduced to the selected telemetry and event topics (commands kept)."""
    return attrs.evolve(
        info,
        telemetry=tuple(t for t in info.telemetry if ("telemetry", t.name) in selection),
        events=tuple(t for t in info.events if ("event", t.name) in selection),
    )


@attrs.define
class Selections:
    """The outcome of checking topic lists: per component what it forwards, the notes to
    print and the errors that stop the run."""

    by_component: dict[ComponentId, set[tuple[str, str]]] = attrs.field(factory=dict)
    notes: list[str] = attrs.field(factory=list)
    errors: list[str] = attrs.field(factory=list)

    def apply(self, infos: Mapping[ComponentId, ComponentInfo]) -> dict:
        """``infos`` with every selected component reduced to its topics."""
        return {
            cid: only(info, frozenset(self.by_component[cid])) if cid in self.by_component else info
            for cid, info in infos.items()
        }


def _suggest(item: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(item, sorted(set(known)), n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(close)}?" if close else ""


def select_for_all(
    items: Iterable[str],
    infos: Mapping[ComponentId, ComponentInfo],
    flag: str,
    into: Selections | None = None,
) -> Selections:
    """Topic names that apply to every component of the process that has them (the upstream
    lists). ``flag`` names the list in messages (``--periodic-data``)."""
    out = into or Selections()
    items = list(items)
    if not items:
        out.errors.append(f"{flag} names no topic (leave it out to forward every topic)")
        return out
    names = {cid: attribute_names(info) for cid, info in infos.items()}
    for item in items:
        fits = [cid for cid in infos if item in names[cid]]
        if not fits:
            if item[:4] not in PREFIXES:
                out.errors.append(f"{flag} {item}: a topic is tel_<name> or evt_<name>")
                continue
            every = (n for per in names.values() for n in per)
            comps = ", ".join(str(c) for c in infos) or "no component"
            out.errors.append(f"{flag} {item}: no such topic in {comps}{_suggest(item, every)}")
            continue
        for cid in fits:
            out.by_component.setdefault(cid, set()).add(names[cid][item])
        skipped = [str(c) for c in infos if c not in fits]
        if skipped:
            out.notes.append(
                f"{flag} {item}: for {', '.join(str(c) for c in fits)}; "
                f"skipped {', '.join(skipped)} (no such topic)"
            )
    return out


def select_per_component(
    specs: Iterable[str], infos: Mapping[ComponentId, ComponentInfo], flag: str = "--topics"
) -> Selections:
    """``NAME[:INDEX]=tel_a,evt_b`` items, each for one component of ``infos``."""
    out = Selections()
    by_text = {str(cid): cid for cid in infos} | {cid.key: cid for cid in infos}
    for spec in specs:
        target, sep, listed = spec.partition("=")
        cid = by_text.get(target.strip())
        if not sep:
            out.errors.append(f"{flag} {spec!r}: expected NAME[:INDEX]=tel_a,evt_b,...")
            continue
        if cid is None:
            out.errors.append(
                f"{flag} {spec!r}: {target.strip()} is not one of the components "
                f"({', '.join(by_text) if infos else 'none given'})"
            )
            continue
        items = [x.strip() for x in listed.replace(" ", ",").split(",") if x.strip()]
        if not items:
            out.errors.append(f"{flag} {target.strip()}= names no topic")
            continue
        names = attribute_names(infos[cid])
        for item in items:
            if item in names:
                out.by_component.setdefault(cid, set()).add(names[item])
            else:
                out.errors.append(
                    f"{flag} {target.strip()}: no topic {item}{_suggest(item, names)}"
                )
    return out
