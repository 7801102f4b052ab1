"""HTTPS with the generated CA: trusted with the CA file, rejected without it."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from dms_testenv.simulator import SimulatorClient, SimulatorProcess


def test_https_with_generated_ca(
    tmp_path: Path,
    make_simulator: Callable[..., SimulatorProcess],
    client_for: Callable[..., SimulatorClient],
) -> None:
    ca_file = tmp_path / "ca.pem"
    process = make_simulator("--tls", "--tls-ca-file", str(ca_file), name="https")
    assert process.base_url.startswith("https://127.0.0.1:")
    assert ca_file.read_text().startswith("-----BEGIN CERTIFICATE-----")

    trusted = client_for(process.base_url, verify=ssl.create_default_context(cafile=str(ca_file)))
    session = trusted.provider()
    assert trusted.call("GET", "/templates", session).status_code == 200

    untrusted = client_for(process.base_url)
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        untrusted.provider()
    localhost_url = process.base_url.replace("127.0.0.1", "localhost")
    by_name = client_for(localhost_url, verify=ssl.create_default_context(cafile=str(ca_file)))
    assert by_name.call("GET", "/templates", by_name.provider()).status_code == 200
