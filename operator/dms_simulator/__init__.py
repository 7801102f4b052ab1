"""A local DMS (Data Management for VMware Tanzu) API server for tests, benchmarks
and the sandbox, optionally backed by real PostgreSQL and MySQL servers.

Entry points: `create_app(config)` (ASGI app) and the `dms-simulator` command.
"""

from __future__ import annotations

__version__ = "0.1.0"
