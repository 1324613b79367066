"""Fixtures every test folder may use."""

import pytest

from actors.edges.catalog import Catalog
from tests.helpers import proc_helpers


@pytest.fixture(scope="session")
def atdome():
    """The built-in ATDome interface."""
    return Catalog.builtin().get("ATDome")


@pytest.fixture(autouse=True)
def no_process_left_behind():
    """Kill whatever a test's commands left running (a test that failed half-way cannot)."""
    before = len(proc_helpers.STARTED)
    yield
    for proc in proc_helpers.STARTED[before:]:
        if proc.popen.poll() is None or proc.processes():
            proc.kill_tree()
    del proc_helpers.STARTED[before:]
