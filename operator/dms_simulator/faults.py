"""Injected HTTP faults, matched by method and path regex, and the ASGI
middleware that applies them before the request reaches the API.

Kinds: `status` returns an error status (optionally with `Retry-After`);
`delay` waits, then serves the request; `hang` sends no response (until the client
disconnects or `hangSeconds` pass); `drop` starts a response that announces a
longer body than it sends and then aborts, so the client sees a broken
connection. Any kind can wait `delaySeconds` first. A fault with `times` is
removed after that many matches. Control-API paths are never matched.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dms_simulator.errors import MEDIA_TYPE, error_type_for_status
from dms_simulator.records import new_id

CONTROL_PREFIX = "/_simulator"
FAULT_KINDS = ("status", "delay", "hang", "drop")


class DroppedConnection(Exception):
    """Raised on purpose to make the server abort a response (fault kind `drop`)."""


class DroppedConnectionLogFilter(logging.Filter):
    """Hides the server's traceback for connections dropped on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DroppedConnection))


@dataclass
class Fault:
    path: str
    kind: str
    method: str | None = None
    status: int | None = None
    retryAfter: int | None = None
    delaySeconds: float = 0.0
    hangSeconds: float = 300.0
    times: int | None = None
    message: str | None = None
    errorType: str | None = None
    id: str = field(default_factory=new_id)
    hits: int = 0

    def __post_init__(self) -> None:
        self._pattern = re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self._pattern.search(path) is not None

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "kind": self.kind,
            "status": self.status,
            "retryAfter": self.retryAfter,
            "delaySeconds": self.delaySeconds,
            "hangSeconds": self.hangSeconds,
            "times": self.times,
            "message": self.message,
            "errorType": self.errorType,
            "hits": self.hits,
        }


class FaultRegistry:
    """The active faults, in the order they were added (the first match wins)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        self._faults.append(fault)
        return fault

    def list(self) -> list[Fault]:
        return list(self._faults)

    def remove(self, fault_id: str) -> bool:
        before = len(self._faults)
        self._faults = [fault for fault in self._faults if fault.id != fault_id]
        return len(self._faults) != before

    def clear(self) -> None:
        self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """Return the first matching fault and count the match."""
        for fault in self._faults:
            if fault.matches(method, path):
                fault.hits += 1
                if fault.times is not None and fault.hits >= fault.times:
                    self._faults.remove(fault)
                return fault
        return None


async def _wait_for_disconnect(receive: Receive, limit: float) -> bool:
    """Wait until the client disconnects; return False if `limit` seconds pass first."""

    async def drain() -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return

    try:
        await asyncio.wait_for(drain(), timeout=limit)
    except TimeoutError:
        return False
    return True


class FaultMiddleware:
    def __init__(self, app: ASGIApp, registry: FaultRegistry) -> None:
        self.app = app
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        fault = self.registry.take(scope["method"], scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})["fault_id"] = fault.id
        if fault.delaySeconds > 0:
            # Simulated latency, not a wait for state.
            await asyncio.sleep(fault.delaySeconds)
        if fault.kind == "delay":
            await self.app(scope, receive, send)
        elif fault.kind == "status":
            await self._send_status(fault, send)
        elif fault.kind == "hang":
            if not await _wait_for_disconnect(receive, fault.hangSeconds):
                timeout = Fault(path=fault.path, kind="status", status=504)
                timeout.message = "injected hang ended after hangSeconds"
                await self._send_status(timeout, send)
        else:
            await self._drop(send)

    @staticmethod
    async def _send_status(fault: Fault, send: Send) -> None:
        status = fault.status or 500
        body = json.dumps(
            {
                "message": fault.message or f"injected fault: HTTP {status}",
                "errorCodes": {"type": fault.errorType or error_type_for_status(status)},
            }
        ).encode()
        headers = [
            (b"content-type", MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        if fault.retryAfter is not None:
            headers.append((b"retry-after", str(fault.retryAfter).encode()))
        start: Message = {"type": "http.response.start", "status": status, "headers": headers}
        await send(start)
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    async def _drop(send: Send) -> None:
        partial = b'{"message": "this response is cut '
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", MEDIA_TYPE.encode()),
                    (b"content-length", b"4096"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": partial, "more_body": True})
        raise DroppedConnection("response aborted on purpose by an injected fault")
