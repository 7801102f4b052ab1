"""A scripted in-memory DMS for `httpx.MockTransport`, a fake clock and a fake sleep."""

import asyncio
import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr

from dms_operator.models.credentials import DMSCredentials

ENDPOINT = "https://dms.example"
USERNAME = "ops@example.com"
PASSWORD = "S3cret!pass"
ORG_ID = "11111111-1111-1111-1111-111111111111"
PROVIDER_ORG_ID = "99999999-9999-9999-9999-999999999999"

Handler = Callable[[httpx.Request], httpx.Response]


def credentials(**changes: Any) -> DMSCredentials:
    values: dict[str, Any] = {
        "endpoint": ENDPOINT,
        "username": USERNAME,
        "password": SecretStr(PASSWORD),
    }
    values.update(changes)
    return DMSCredentials(**values)


def make_jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/vnd.vmware.dms-v1+json", **(headers or {})},
    )


def error_response(
    status: int, error_type: str, message: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return json_response(status, {"message": message, "errorCodes": {"type": error_type}}, headers)


def page(items: list[Any], number: int = 0, total_pages: int = 1, size: int = 20) -> dict[str, Any]:
    return {
        "links": [],
        "content": items,
        "page": {
            "size": size,
            "totalElements": len(items),
            "totalPages": total_pages,
            "number": number,
        },
    }


class FakeClock:
    """Wall-clock seconds that only move when a test calls `advance`."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RecordingSleep:
    """Stands in for `asyncio.sleep` in retries: records each delay, never waits."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@dataclass
class FakeDMS:
    """Serves login, renewal and scripted routes, and records every request."""

    clock: FakeClock
    token_lifetime: float = 1800.0
    memberships: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {
                "orgId": ORG_ID,
                "companyName": "Acme",
                "email": USERNAME,
                "userRoles": ["ORG_ADMIN"],
                "roles": ["ORG_ADMIN"],
            }
        ]
    )
    password: str = PASSWORD
    # Tokens are JWTs unless this is set.
    opaque_tokens: bool = False
    renew_response: httpx.Response | None = None
    login_failures: list[httpx.Response] = field(default_factory=list)
    login_gate: asyncio.Event | None = None
    login_started: asyncio.Event = field(default_factory=asyncio.Event)

    requests: list[httpx.Request] = field(default_factory=list)
    logins: int = 0
    renewals: int = 0
    valid_tokens: set[str] = field(default_factory=set)
    issued_tokens: list[str] = field(default_factory=list)
    routes: dict[tuple[str, str], list[Handler | httpx.Response]] = field(default_factory=dict)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def on(self, method: str, path: str, *responses: Handler | httpx.Response) -> None:
        """Set the responses of a route, in order; the last one repeats."""
        self.routes[(method, path)] = list(responses)

    def revoke_all(self) -> None:
        self.valid_tokens.clear()

    def data_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if not r.url.path.startswith("/provider/session")]

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if request.method == "POST" and path == "/provider/session":
            return await self._login(request)
        if request.method == "POST" and path == "/provider/session/renew":
            return self._renew(request)
        if request.headers.get("Authorization") not in self.valid_tokens:
            return error_response(401, "UNAUTHORIZED", "Full authentication is required")
        responses = self.routes.get((request.method, path))
        if not responses:
            return error_response(404, "NOT_FOUND", f"no route {request.method} {path}")
        response = responses.pop(0) if len(responses) > 1 else responses[0]
        if isinstance(response, httpx.Response):
            return response
        return response(request)

    async def _login(self, request: httpx.Request) -> httpx.Response:
        self.logins += 1
        self.login_started.set()
        if self.login_gate is not None:
            await self.login_gate.wait()
        if self.login_failures:
            return self.login_failures.pop(0)
        body = json.loads(request.content)
        if body.get("email") != USERNAME or body.get("password") != self.password:
            return error_response(400, "AUTHENTICATION_FAILURE", "Authentication failure")
        return self._session_response()

    def _renew(self, request: httpx.Request) -> httpx.Response:
        self.renewals += 1
        if self.renew_response is not None:
            return self.renew_response
        if request.headers.get("Authorization") not in self.valid_tokens:
            return error_response(401, "UNAUTHORIZED", "token expired")
        return self._session_response()

    def _session_response(self) -> httpx.Response:
        serial = self.logins + self.renewals
        if self.opaque_tokens:
            token = f"Bearer opaque-token-{serial}"
        else:
            claims = {"sub": USERNAME, "exp": int(self.clock() + self.token_lifetime), "n": serial}
            token = "Bearer " + make_jwt(claims)
        self.valid_tokens.add(token)
        self.issued_tokens.append(token)
        info = {
            "firstName": "Pat",
            "lastName": "Ops",
            "contactNumber": "",
            "email": USERNAME,
            "type": "TDM",
            "orgMemberships": self.memberships,
        }
        return json_response(200, info, {"Authorization": token})
