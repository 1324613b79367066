"""Frames per second of `TopicEncoder` against the upstream way of encoding (a deep copy of
the field template and ``json.dumps`` per sample), in the same run.

Usage: ``python scripts/bench_encoding.py [n_samples]``.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from love_producer.interfaces.interface import FieldInfo, TopicInfo, private_fields
from love_producer.wire.encoding import TopicEncoder, data_type


def atdome_position() -> TopicInfo:
    """A topic shaped like ATDome ``position`` (built by hand, no catalog)."""
    return TopicInfo(
        "position",
        "telemetry",
        private_fields(False)
        + (
            FieldInfo("dropoutDoorOpeningPercentage", "double"),
            FieldInfo("mainDoorOpeningPercentage", "double"),
            FieldInfo("azimuthPosition", "double", units="deg"),
            FieldInfo("azimuthEncoderPosition", "long"),
            FieldInfo("azimuthPositionSet", "double", units="deg"),
            FieldInfo("moveElAz", "boolean"),
            FieldInfo("rawEncoder", "double", count=8),
        ),
    )


class NaiveEncoder:
    """The upstream approach: template dict built once, deep-copied and dumped per sample."""

    def __init__(self, topic: TopicInfo) -> None:
        self.template = {
            f.name: {
                "value": f.default_value(),
                "dataType": data_type(f.default_value()),
                "units": f.units,
            }
            for f in topic.fields
        }

    def telemetry(self, data: dict) -> str:
        payload = copy.deepcopy(self.template)
        for name, field in payload.items():
            if name in data:
                field["value"] = data[name]
        return json.dumps(payload)


def samples(n: int) -> list[dict]:
    out = []
    for i in range(n):
        out.append(
            {
                "private_sndStamp": 1764132037.412 + i * 0.05,
                "private_rcvStamp": 1764132037.419 + i * 0.05,
                "private_efdStamp": 1764132000.412 + i * 0.05,
                "private_kafkaStamp": 1764132037.412 + i * 0.05,
                "private_seqNum": i,
                "private_revCode": "a1b2c3d4",
                "private_identity": "ATDome",
                "private_origin": 17,
                "dropoutDoorOpeningPercentage": 0.0,
                "mainDoorOpeningPercentage": 100.0,
                "azimuthPosition": (212.5 + i * 0.01) % 360,
                "azimuthEncoderPosition": 1203398 + i,
                "azimuthPositionSet": 212.5,
                "moveElAz": bool(i % 2),
                "rawEncoder": [0.1 * k + i for k in range(8)],
            }
        )
    return out


def rate(encode, data: list[dict]) -> float:
    start = time.perf_counter()
    for d in data:
        encode(d)
    return len(data) / (time.perf_counter() - start)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    topic = atdome_position()
    data = samples(n)
    fast = TopicEncoder(topic)
    naive = NaiveEncoder(topic)
    if json.loads(fast.telemetry(data[-1])) != json.loads(naive.telemetry(data[-1])):
        raise SystemExit("the two encoders disagree")
    fast_rate = rate(fast.telemetry, data)
    naive_rate = rate(naive.telemetry, data)
    print(f"naive (deepcopy + json.dumps): {naive_rate:10.0f} frames/s")
    print(f"TopicEncoder:                  {fast_rate:10.0f} frames/s")
    print(f"ratio:                         {fast_rate / naive_rate:10.1f}x")


if __name__ == "__main__":
    main()
