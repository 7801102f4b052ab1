"""Real database servers that host the simulated DMS databases.

A backend is one shared server per engine, reached through an admin URL. The
drivers block, so callers run these methods with `asyncio.to_thread`. Errors
are `BackendError`s whose message names the server by host and port, never by
its URL (which contains a password).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote, urlsplit

from dms_simulator.config import SimulatorConfig
from dms_simulator.seed import MYSQL, POSTGRES


class BackendError(Exception):
    """A backend operation failed; the message is safe to show to DMS clients."""


@dataclass(frozen=True)
class AdminUrl:
    """The parts of an admin URL, with the password kept out of the repr."""

    host: str
    port: int
    user: str
    password: str
    database: str

    def __repr__(self) -> str:
        return f"AdminUrl(host={self.host!r}, port={self.port}, user={self.user!r})"

    @property
    def ip(self) -> str:
        """The host if it is an IP address; `localhost` maps to 127.0.0.1; else empty."""
        if self.host == "localhost":
            return "127.0.0.1"
        try:
            return str(ipaddress.ip_address(self.host))
        except ValueError:
            return ""


def parse_admin_url(url: str, schemes: tuple[str, ...], default_port: int) -> AdminUrl:
    """Split an admin URL; the error message never contains the URL itself."""
    parts = urlsplit(url)
    if parts.scheme not in schemes:
        raise ValueError(f"the admin URL must start with {' or '.join(s + '://' for s in schemes)}")
    if not parts.hostname:
        raise ValueError("the admin URL has no host")
    try:
        port = parts.port or default_port
    except ValueError:
        raise ValueError("the admin URL has an invalid port") from None
    return AdminUrl(
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        database=parts.path.lstrip("/"),
    )


class Backend(Protocol):
    """One real database server."""

    engine: str
    admin: AdminUrl

    def describe(self) -> str:
        """Name the server for messages, e.g. `PostgreSQL server 127.0.0.1:5432`."""
        ...

    def check(self) -> None:
        """Connect once, raising BackendError if the server cannot be reached."""
        ...

    def create_database(self, db_name: str, user: str, password: str) -> None:
        """Create a database and a login that owns it; fail on a name already in use."""
        ...

    def drop_database(self, db_name: str, user: str) -> None:
        """Drop the database and its login; missing ones count as dropped."""
        ...

    def set_login_enabled(self, user: str, enabled: bool) -> None:
        """Allow or refuse new logins of `user`; disabling also ends its sessions."""
        ...


def build_backends(config: SimulatorConfig) -> dict[str, Backend]:
    """Create the backends configured by admin URLs, keyed by engine."""
    backends: dict[str, Backend] = {}
    if config.postgres_admin_url is not None:
        from dms_simulator.backends.postgres import PostgresBackend

        backends[POSTGRES] = PostgresBackend(config.postgres_admin_url.get_secret_value())
    if config.mysql_admin_url is not None:
        from dms_simulator.backends.mysql import MysqlBackend

        backends[MYSQL] = MysqlBackend(config.mysql_admin_url.get_secret_value())
    return backends
