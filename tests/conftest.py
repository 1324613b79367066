"""Fixtures every test folder may use."""

import pytest

from actors.edges.catalog import Catalog


@pytest.fixture(scope="session")
def atdome():
    """The built-in ATDome interface."""
    return Catalog.builtin().get("ATDome")
