"""Fixtures of the install-path tests: the helm and kubectl binaries, built by dms_testenv."""

from __future__ import annotations

import pytest

from dms_testenv.binaries import Binaries, ensure_binaries


@pytest.fixture(scope="session")
def binaries() -> Binaries:
    return ensure_binaries()


@pytest.fixture(scope="session")
def helm(binaries: Binaries) -> str:
    return str(binaries.helm)


@pytest.fixture(scope="session")
def kubectl(binaries: Binaries) -> str:
    return str(binaries.kubectl)
