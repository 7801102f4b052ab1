"""The request log: one entry per HTTP request, written to the
`dms_simulator.access` logger and kept in memory for the control API (which
leaves its own calls out). An entry contains the method, concrete and templated
path, status, `X-Org-ID` and user email; never a body, a header value other
than the org id, or a query string."""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dms_simulator.faults import CONTROL_PREFIX
from dms_simulator.records import now_iso

_MAX_ENTRIES = 10_000
access_logger = logging.getLogger("dms_simulator.access")


class RequestLog:
    def __init__(self) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=_MAX_ENTRIES)

    def add(self, entry: dict[str, Any]) -> None:
        self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        return list(self._entries)

    def clear(self) -> None:
        self._entries.clear()


def _org_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-org-id":
            # Bounded so that a huge header cannot bloat the log.
            return str(value.decode("latin-1")[:100])
    return None


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        status: list[int] = []
        started = time.monotonic()

        async def send_and_watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        completed = False
        try:
            await self.app(scope, receive, send_and_watch)
            completed = True
        finally:
            route = scope.get("route")
            entry = {
                "timestamp": now_iso(),
                "method": scope["method"],
                "path": scope["path"],
                "route": getattr(route, "path", None),
                "status": status[0] if status else None,
                "completed": completed and bool(status),
                "orgId": _org_id(scope),
                "userEmail": state.get("user_email"),
                "faultId": state.get("fault_id"),
            }
            # Control-API calls are test plumbing, not traffic under test.
            if not entry["path"].startswith(CONTROL_PREFIX):
                self.log.add(entry)
            access_logger.info(
                "%s %s -> %s (%.1f ms) user=%s org=%s%s",
                entry["method"],
                entry["path"],
                entry["status"] if entry["completed"] else "aborted",
                (time.monotonic() - started) * 1000,
                entry["userEmail"] or "-",
                entry["orgId"] or "-",
                f" fault={entry['faultId']}" if entry["faultId"] else "",
            )
