"""The `dms-simulator` command: serve the simulator with uvicorn.

It prints one line, the base URL, on standard output once the server accepts
connections (and writes it to `--url-file`); logs go to standard error.
Every option can also come from an environment variable `DMS_SIM_<OPTION>`
(e.g. `DMS_SIM_PROVIDER_PASSWORD`), which keeps passwords out of `ps`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

import uvicorn
from pydantic import ValidationError

from dms_simulator.app import StartupError, check_backends, create_app
from dms_simulator.config import SimulatorConfig
from dms_simulator.tls import make_server_certificate

logger = logging.getLogger("dms_simulator")
_GRACEFUL_SHUTDOWN_SECONDS = 5


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dms-simulator", description="Serve a local DMS 1.0 API for tests and the sandbox."
    )
    add = parser.add_argument
    add("--host", help="address to listen on (default 127.0.0.1)")
    add("--port", type=int, help="TCP port; 0 (the default) picks a free port")
    add("--provider-email", help="login of the seeded provider admin")
    add("--provider-password", help="password of the seeded provider admin")
    add("--task-seconds", type=float, help="seconds each task takes; 0 ends tasks at once")
    add("--task-steps", type=int, help="progress steps of a timed task (default 4)")
    add("--token-ttl-seconds", type=float, help="session token lifetime (default 1800)")
    add("--state-file", type=Path, help="JSON file that keeps the state across restarts")
    add("--postgres-admin-url", help="postgresql://user:pass@host:port/db hosting PG databases")
    add("--mysql-admin-url", help="mysql://user:pass@host:port/ hosting MySQL databases")
    add("--tls", action="store_true", default=None, help="serve HTTPS with a generated CA")
    add("--tls-ca-file", type=Path, help="where --tls writes its CA certificate (PEM)")
    add(
        "--enable-control-api",
        action="store_true",
        default=None,
        help="serve the test-control API under /_simulator",
    )
    add(
        "--datastore",
        dest="datastores",
        action="append",
        help="datastore of each new org's environment (repeatable; the first is the default)",
    )
    add("--placeholder-domain", help="domain of the fqdn of databases without a real server")
    add("--url-file", type=Path, help="file that receives the base URL once the server is ready")
    add("--log-level", help="log level (default INFO)")
    return parser


def _config(argv: list[str] | None) -> SimulatorConfig:
    arguments = vars(_parser().parse_args(argv))
    overrides: dict[str, Any] = {
        key: value for key, value in arguments.items() if value is not None
    }
    return SimulatorConfig(**overrides)


class _Server(uvicorn.Server):
    """A uvicorn server that sets an event once it listens."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.listening.set()


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def _tls_options(config: SimulatorConfig, tls_dir: Path) -> dict[str, Any]:
    """Generate the CA and server certificate, write the CA file, and return
    uvicorn's TLS options."""
    hosts = list(dict.fromkeys([config.host, "127.0.0.1", "localhost"]))
    certificate = make_server_certificate(tls_dir, hosts)
    ca_file = config.tls_ca_file
    if ca_file is None:
        handle, name = tempfile.mkstemp(prefix="dms-simulator-ca-", suffix=".pem")
        os.close(handle)
        ca_file = Path(name)
    _write_atomically(ca_file, certificate.ca_pem.decode())
    logger.info("TLS CA certificate written to %s", ca_file)
    return {"ssl_certfile": str(certificate.cert_file), "ssl_keyfile": str(certificate.key_file)}


async def _serve(config: SimulatorConfig) -> int:
    sock = _listening_socket(config.host, config.port)
    port = sock.getsockname()[1]
    host_in_url = f"[{config.host}]" if ":" in config.host else config.host
    scheme = "https" if config.tls else "http"
    base_url = f"{scheme}://{host_in_url}:{port}"
    tls_dir = Path(tempfile.mkdtemp(prefix="dms-simulator-tls-")) if config.tls else None
    try:
        ssl_options = _tls_options(config, tls_dir) if tls_dir is not None else {}
        app = create_app(config)
        app.state.simulator.base_url = base_url
        # Checked here too, so that a failure ends the command with a one-line error
        # instead of uvicorn's lifespan traceback.
        await check_backends(app.state.simulator)
        server = _Server(
            uvicorn.Config(
                app,
                log_config=None,
                access_log=False,
                timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_SECONDS,
                **ssl_options,
            )
        )
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        listening = asyncio.create_task(server.listening.wait())
        await asyncio.wait({serving, listening}, return_when=asyncio.FIRST_COMPLETED)
        if not server.started:
            listening.cancel()
            await serving
            return 1
    finally:
        # uvicorn has loaded the key into its TLS context by now (or failed), and
        # it ends the process by re-raising SIGTERM, which skips later clean-up.
        if tls_dir is not None:
            shutil.rmtree(tls_dir, ignore_errors=True)
    print(base_url, flush=True)
    if config.url_file is not None:
        _write_atomically(config.url_file, base_url + "\n")
    logger.info("DMS simulator serving at %s", base_url)
    await serving
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        config = _config(argv)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        print(f"dms-simulator: invalid configuration: {problems}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=config.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return asyncio.run(_serve(config))
    except (StartupError, ValueError, OSError) as error:
        print(f"dms-simulator: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
