"""The namespace test hosts themselves: connectivity, partition, and teardown on failure."""

import subprocess
import sys

import pytest

from actors.devtools.netns import NamespaceHosts, available, ip

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(available() is not None, reason=str(available())),
]

CONNECT = (
    "import socket,sys\n"
    "try:\n"
    "    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()\n"
    "    print('ok')\n"
    "except OSError as e:\n"
    "    print('fail', e)\n"
)


def serve(hosts, name, port):
    code = (
        "import socket,sys\n"
        f"s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
        f"s.bind(('{hosts.address(name)}',{port}));s.listen();print('up',flush=True)\n"
        "while True:\n    s.accept()[0].close()\n"
    )
    p = subprocess.Popen(
        hosts.command(name, [sys.executable, "-c", code]), stdout=subprocess.PIPE, text=True
    )
    assert p.stdout.readline().strip() == "up"
    return p


def connect(hosts, src, dst, port):
    r = subprocess.run(
        hosts.command(src, [sys.executable, "-c", CONNECT, hosts.address(dst), str(port)]),
        capture_output=True,
        text=True,
        timeout=10,
    )
    return r.stdout.strip()


def test_hosts_reach_each_other_and_partition_heals():
    with NamespaceHosts(["a", "b", "c"]) as hosts:
        server = serve(hosts, "a", 5000)
        assert connect(hosts, "b", "a", 5000) == "ok"
        assert connect(hosts, "c", "a", 5000) == "ok"
        hosts.link("c", up=False)
        assert connect(hosts, "c", "a", 5000).startswith("fail")
        assert connect(hosts, "b", "a", 5000) == "ok"
        hosts.link("c", up=True)
        assert connect(hosts, "c", "a", 5000) == "ok"
        assert server.pid in hosts.pids("a")
        assert hosts.kill_all("a") >= 1
        server.wait(5)
    names = ip("netns", "list").stdout
    assert all(ns not in names for ns in list(hosts.ns.values()) + [hosts.bridge])


def test_teardown_happens_when_the_test_fails():
    with pytest.raises(RuntimeError):
        with NamespaceHosts(["a"]) as hosts:
            serve(hosts, "a", 5001)
            raise RuntimeError("a failing test")
    names = ip("netns", "list").stdout
    assert hosts.ns["a"] not in names and hosts.bridge not in names
