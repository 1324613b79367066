#!/usr/bin/env python3
"""Write the built-in interface descriptions (``conf/interfaces``) from a ts_xml folder.

Usage: ``python scripts/make_builtin_interfaces.py [--xml-dir DIR] [--out DIR]``.
Only facts are written (names, types, counts, units, index enumerations, added generics).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from actors.edges.catalog import Catalog, CatalogError
from love_producer.interfaces.interface_json import subsystems_to_json, to_json_dict

#: Components with a built-in description: the demo set, one of each shape.
BUILTIN_COMPONENTS = (
    "ATDome",
    "ATMCS",
    "ATPtg",
    "MTHexapod",
    "MTMount",
    "ScriptQueue",
    "Script",
    "Watcher",
    "Test",
    "ESS",
)


def write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, sort_keys=True, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--xml-dir",
        type=Path,
        default=REPO.parent / "shared" / "ts_xml",
        help="ts_xml sal_interfaces folder (default: %(default)s)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO / "conf" / "interfaces",
        help="output folder (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        catalog = Catalog.from_xml_dir(args.xml_dir)
        infos = [catalog.get(name) for name in BUILTIN_COMPONENTS]
    except CatalogError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for info in infos:
        write_json(args.out / f"{info.name}.json", to_json_dict(info))
    entries = [catalog.subsystem(name) for name in catalog.names()]
    write_json(args.out / "subsystems.json", subsystems_to_json(entries))
    print(f"wrote {len(BUILTIN_COMPONENTS)} components and {len(entries)} subsystems to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
