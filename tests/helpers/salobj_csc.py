"""salobj's ``TestCsc`` in a process of its own, driven by JSON lines on stdin.

salobj's CSCs install signal handlers, which works in a main thread only: run in a thread of
the test process, ``TestCsc`` fails with "set_wakeup_fd only works in main thread" (#14).
`CscProcess` starts this module as ``python -m tests.helpers.salobj_csc --index N`` and sends
one request per line; each gets one answer line:

* ``{"op": "write", "attr": "evt_logLevel", "fields": {...}}`` -> ``{"ok": true}``;
* ``{"op": "close"}`` -> ``{"ok": true}``, then the process exits.

The first line it prints is ``{"ready": true}`` once the CSC has started (ENABLED).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


async def serve(index: int) -> None:
    from lsst.ts import salobj  # only where salobj is installed (the real tier)

    csc = salobj.TestCsc(index=index, initial_state=salobj.State.ENABLED)
    await csc.start_task
    print(json.dumps({"ready": True, "pid": os.getpid()}), flush=True)
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            request = json.loads(line)
            try:
                if request["op"] == "close":
                    print(json.dumps({"ok": True}), flush=True)
                    break
                topic = getattr(csc, request["attr"])
                fields = request.get("fields", {})
                if request["attr"].startswith("tel_"):
                    await topic.set_write(**fields)
                else:
                    await topic.set_write(**fields, force_output=True)
                print(json.dumps({"ok": True}), flush=True)
            except Exception as e:
                print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}), flush=True)
    finally:
        await csc.close()


class CscProcess:
    """A ``TestCsc`` in a child process; `write` returns once the sample is written."""

    def __init__(self, index: int, env: dict | None = None, timeout: float = 60.0) -> None:
        full_env = dict(os.environ)
        full_env.update(env or {})
        full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
        self.timeout = timeout
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.salobj_csc", "--index", str(index)],
            cwd=REPO,
            env=full_env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        answer = self._answer()
        if not answer.get("ready"):
            raise RuntimeError(f"TestCsc did not start: {answer}")
        self.pid = answer["pid"]

    def _answer(self) -> dict:
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self.proc.stdout.readline()))
        reader.daemon = True
        reader.start()
        reader.join(self.timeout)
        if not result or not result[0]:
            self.kill()
            raise RuntimeError(f"TestCsc process gave no answer within {self.timeout} s")
        return json.loads(result[0])

    def request(self, **request) -> dict:
        with self.lock:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            answer = self._answer()
        if not answer.get("ok"):
            raise RuntimeError(f"TestCsc: {answer.get('error')}")
        return answer

    def write(self, attr: str, **fields) -> None:
        self.request(op="write", attr=attr, fields=fields)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.request(op="close")
                self.proc.wait(self.timeout)
            except Exception:
                self.kill()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--index", type=int, required=True)
    asyncio.run(serve(p.parse_args().index))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
