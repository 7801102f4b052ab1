"""The authenticated core of a DMS session: token lifecycle and request execution.

`SessionCore` logs in lazily on the first call, keeps the `Authorization` header value
of the login response verbatim, and renews the token before its JWT `exp` (read without
verifying the signature), falling back to a fresh login when renewal fails. A 401 on a
call triggers one fresh login and one repeat of that call. Concurrent callers share a
single in-flight login or renewal.

The API methods live in `api_admin` and `api_databases`; `DMSSession` combines them.
"""

import asyncio
import base64
import binascii
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

import httpx
import pydantic

from dms_operator.clients.dms.error_mapping import error_from_invalid_body
from dms_operator.clients.dms.errors import (
    DMSAuthenticationError,
    DMSError,
    DMSNoDefaultOrgError,
    DMSUnexpectedResponseError,
)
from dms_operator.clients.dms.http import DMSHttpClient, QueryParams
from dms_operator.clients.dms.observer import DMSClientObserver, NoopObserver, SessionEvent
from dms_operator.clients.dms.retry import RetryPolicy, Sleep, call_with_retries
from dms_operator.models.credentials import DMSCredentials
from dms_operator.models.dms import DMSModel, OrgMembership, Page, UserSessionInfo

_log = logging.getLogger(__name__)

ModelT = TypeVar("ModelT", bound=pydantic.BaseModel)
ItemT = TypeVar("ItemT", bound=DMSModel)
ValueT = TypeVar("ValueT")

LOGIN_ROUTE: Final = "/session"
RENEW_ROUTE: Final = "/session/renew"
# Methods whose repetition has the same effect as one request; only these are retried.
IDEMPOTENT_METHODS: Final = frozenset({"GET", "PUT", "DELETE"})


def jwt_expiry(token: str) -> float | None:
    """Return the `exp` claim (seconds since the epoch) of a bearer token, if it has one.

    The signature is not verified: the client only needs to know when to renew, and DMS
    checks the token on every request anyway.
    """
    raw = token.strip()
    if raw[:7].lower() == "bearer ":
        raw = raw[7:].strip()
    parts = raw.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    exp = payload.get("exp") if isinstance(payload, dict) else None
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    return float(exp)


class SessionCore:
    """One DMS login shared by every caller that uses the same credentials."""

    def __init__(
        self,
        http: DMSHttpClient,
        credentials: DMSCredentials,
        *,
        retry: RetryPolicy | None = None,
        renew_margin_seconds: float = 120.0,
        login_failure_backoff_seconds: float = 60.0,
        page_size: int = 100,
        max_pages: int = 200,
        observer: DMSClientObserver | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._http = http
        self._credentials = credentials
        self._fingerprint = credentials.fingerprint
        self._retry = retry or RetryPolicy()
        self._renew_margin = renew_margin_seconds
        self._login_failure_backoff = login_failure_backoff_seconds
        self._page_size = page_size
        self._max_pages = max_pages
        self._observer = observer or NoopObserver()
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._info: UserSessionInfo | None = None
        self._expires_at: float | None = None
        self._renew_at: float | None = None
        self._rejected_login: DMSAuthenticationError | None = None
        self._rejected_login_at = 0.0

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} endpoint={self._http.endpoint!r} "
            f"username={self._credentials.username!r} logged_in={self._token is not None}>"
        )

    @property
    def endpoint(self) -> str:
        """The DMS base URL this session talks to."""
        return self._http.endpoint

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the credentials this session was created with."""
        return self._fingerprint

    @property
    def memberships(self) -> tuple[OrgMembership, ...]:
        """The login's organization memberships; empty before the first login."""
        return tuple(self._info.org_memberships) if self._info else ()

    async def session_info(self) -> UserSessionInfo:
        """Return the `UserSessionInfo` of the current login, logging in if needed."""
        await self._valid_token()
        assert self._info is not None  # set together with the token
        return self._info

    async def default_org_id(self) -> str:
        """Return the id of the login's only organization.

        Raises `DMSNoDefaultOrgError` when the login belongs to no organization or to
        several, because then the caller must choose one explicitly.
        """
        memberships = (await self.session_info()).org_memberships
        if len(memberships) == 1:
            return memberships[0].org_id
        user = self._credentials.username
        if not memberships:
            raise DMSNoDefaultOrgError(
                f"DMS user {user} belongs to no organization; add the user to one in DMS"
            )
        names = ", ".join(f"{m.company_name or '?'} ({m.org_id})" for m in memberships)
        raise DMSNoDefaultOrgError(
            f"DMS user {user} belongs to {len(memberships)} organizations ({names}); "
            "choose one by its id"
        )

    # Token lifecycle

    async def _valid_token(self) -> str:
        token = self._usable_token()
        if token is not None:
            return token
        async with self._lock:
            # Another caller may have logged in or renewed while this one waited.
            token = self._usable_token()
            if token is not None:
                return token
            if self._token is not None and not self._expired():
                try:
                    return await self._renew(self._token)
                except DMSError as exc:
                    _log.info(
                        "Renewing the DMS token at %s failed, logging in: %s", self.endpoint, exc
                    )
            return await self._login()

    async def _replace_rejected_token(self, rejected: str) -> str:
        async with self._lock:
            if self._token is not None and self._token != rejected:
                return self._token  # another caller already logged in again
            return await self._login()

    def _usable_token(self) -> str | None:
        if self._token is None:
            return None
        if self._renew_at is not None and self._clock() >= self._renew_at:
            return None
        return self._token

    def _expired(self) -> bool:
        return self._expires_at is not None and self._clock() >= self._expires_at

    async def _login(self) -> str:
        self._raise_recent_rejection()
        password = self._credentials.password.get_secret_value()
        body = {"email": self._credentials.username, "password": password}
        try:
            response = await call_with_retries(
                f"POST {LOGIN_ROUTE}",
                lambda: self._http.request(
                    "POST", LOGIN_ROUTE, json=body, login=True, secrets=[password]
                ),
                self._retry,
                sleep=self._sleep,
            )
        except DMSAuthenticationError as exc:
            self._rejected_login = exc
            self._rejected_login_at = self._clock()
            raise
        self._rejected_login = None
        return self._accept_session(response, "login")

    def _raise_recent_rejection(self) -> None:
        """Raise the last login rejection again while it is recent.

        DMS user records carry a failed-login count and a lock time, so repeated failures
        may lock the account. Without this, every resource that shares this session would
        try the same wrong password on each reconcile.
        """
        rejected = self._rejected_login
        if rejected is None:
            return
        age = self._clock() - self._rejected_login_at
        if age >= self._login_failure_backoff:
            return
        wait = self._login_failure_backoff - age
        raise DMSAuthenticationError(
            f"{rejected}; the next login attempt with these credentials is in {wait:.0f} s",
            method=rejected.method,
            path=rejected.path,
            status_code=rejected.status_code,
            dms_message=rejected.dms_message,
            error_type=rejected.error_type,
        ) from rejected

    async def _renew(self, token: str) -> str:
        password = self._credentials.password.get_secret_value()
        response = await call_with_retries(
            f"POST {RENEW_ROUTE}",
            lambda: self._http.request("POST", RENEW_ROUTE, token=token, secrets=[password]),
            self._retry,
            sleep=self._sleep,
        )
        return self._accept_session(response, "renew")

    def _accept_session(self, response: httpx.Response, event: SessionEvent) -> str:
        token: str = str(response.headers.get("Authorization", "")).strip()
        if not token:
            raise DMSUnexpectedResponseError(
                f"DMS {response.request.method} {response.request.url.path} returned HTTP "
                f"{response.status_code} without an Authorization header",
                method=response.request.method,
                path=response.request.url.path,
                status_code=response.status_code,
            )
        info = self._parse(response, UserSessionInfo)

        now = self._clock()
        expires_at = jwt_expiry(token)
        self._token = token
        self._info = info
        self._expires_at = expires_at
        if expires_at is None:
            # Not a JWT with `exp`: keep the token until DMS rejects it with 401.
            self._renew_at = None
            lifetime = "unknown"
        else:
            remaining = max(expires_at - now, 0.0)
            # A margin longer than the token's life would renew on every call.
            self._renew_at = expires_at - min(self._renew_margin, remaining / 2)
            lifetime = f"{remaining:.0f} s"

        _log.info(
            "DMS %s at %s as %s succeeded (token lifetime %s, %d organization membership(s))",
            event,
            self.endpoint,
            self._credentials.username,
            lifetime,
            len(info.org_memberships),
        )
        try:
            self._observer.session_established(self.endpoint, event)
        except Exception:
            _log.exception("DMS client observer failed to record a session")
        return token

    # Requests

    async def _call(
        self,
        method: str,
        template: str,
        *,
        org_id: str | None = None,
        path_params: Mapping[str, str | int] | None = None,
        params: QueryParams | None = None,
        body: DMSModel | Mapping[str, Any] | None = None,
        accept: str | None = None,
    ) -> httpx.Response:
        """Send an authenticated request and return its 2xx response.

        `org_id` is sent as `X-Org-ID`; `None` sends the login's first organization,
        which for a provider administrator is the provider organization. GET, PUT and
        DELETE are retried on retryable errors; POST is not (see `DMSError`).
        """
        if isinstance(body, DMSModel):
            payload: Any = body.to_wire()
            secrets = body.secret_values()
        else:
            payload, secrets = body, []
        idempotent = method in IDEMPOTENT_METHODS
        token = await self._valid_token()
        header_org = org_id if org_id is not None else self._home_org_id()

        async def send_once(current: str) -> httpx.Response:
            return await self._http.request(
                method,
                template,
                path_params=path_params,
                params=params,
                json=payload,
                token=current,
                org_id=header_org,
                accept=accept,
                creates=not idempotent,
                secrets=secrets,
            )

        async def send(current: str) -> httpx.Response:
            if not idempotent:
                return await send_once(current)
            operation = f"{method} {template}"
            return await call_with_retries(
                operation, lambda: send_once(current), self._retry, sleep=self._sleep
            )

        try:
            return await send(token)
        except DMSAuthenticationError as exc:
            if exc.status_code != 401:
                raise
            # DMS revoked or expired the token early (e.g. a restart); a 401 means the
            # request was not processed, so repeating it once is safe even for a POST.
            _log.info("DMS rejected the token on %s %s, logging in again", method, template)
            token = await self._replace_rejected_token(token)
            return await send(token)

    def _home_org_id(self) -> str | None:
        memberships = self.memberships
        return memberships[0].org_id if memberships else None

    def _parse(self, response: httpx.Response, model: type[ModelT]) -> ModelT:
        return self._validated(response, model.model_validate_json)

    def _parse_with(
        self, response: httpx.Response, adapter: pydantic.TypeAdapter[ValueT]
    ) -> ValueT:
        return self._validated(response, adapter.validate_json)

    def _validated(self, response: httpx.Response, validate: Callable[[bytes], ValueT]) -> ValueT:
        try:
            return validate(response.content)
        except pydantic.ValidationError as exc:
            request = response.request
            raise error_from_invalid_body(
                response, exc, method=request.method, path=request.url.path
            ) from exc

    async def _list_all(
        self,
        template: str,
        page_type: type[Page[ItemT]],
        *,
        org_id: str | None = None,
        params: Mapping[str, str | int] | None = None,
    ) -> list[ItemT]:
        """Read every page of a list endpoint, at most `max_pages` of them.

        A longer list raises `DMSUnexpectedResponseError` instead of returning a part:
        a caller that looks an object up by name must not miss it and create a duplicate.
        """
        items: list[ItemT] = []
        for number in range(self._max_pages):
            query = {**(params or {}), "page": number, "size": self._page_size}
            response = await self._call("GET", template, org_id=org_id, params=query)
            page = self._parse(response, page_type)
            items.extend(page.content)
            if page.is_last():
                return items
        path = self._http.path_for(template)
        raise DMSUnexpectedResponseError(
            f"DMS GET {path} has more than {self._max_pages} pages of {self._page_size} items; "
            "raise DMS_OPERATOR_DMS_LIST_MAX_PAGES or DMS_OPERATOR_DMS_LIST_PAGE_SIZE",
            method="GET",
            path=path,
        )
