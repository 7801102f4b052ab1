"""`DMSClientPool`: the process-wide cache of DMS HTTP clients and sessions.

One `httpx.AsyncClient` exists per (endpoint, TLS configuration), and one `DMSSession`
per (endpoint, TLS configuration, username), so every resource that uses the same login
shares one token, and DMS receives one login per login, not one per resource. When a
credentials Secret changes (its fingerprint differs), the next `session_for` call
returns a new session, which logs in with the new values.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from dms_operator.clients.dms.http import DMSHttpClient, TLSConfig, build_async_client
from dms_operator.clients.dms.observer import DMSClientObserver, NoopObserver
from dms_operator.clients.dms.retry import RetryPolicy, Sleep
from dms_operator.clients.dms.session import DMSSession
from dms_operator.models.credentials import DMSCredentials
from dms_operator.settings import OperatorSettings

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _ClientKey:
    endpoint: str
    tls: TLSConfig


class DMSClientPool:
    """Hands out shared `DMSSession` objects; close it with `aclose()` at shutdown.

    `transport` replaces the network for every client (tests pass `httpx.MockTransport`);
    `clock` and `sleep` replace `time.time` and `asyncio.sleep` in token renewal and
    retry backoff.
    """

    def __init__(
        self,
        settings: OperatorSettings | None = None,
        *,
        observer: DMSClientObserver | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._settings = settings if settings is not None else OperatorSettings()
        self._observer = observer if observer is not None else NoopObserver()
        self._transport = transport
        self._clock = clock
        self._sleep = sleep
        self._retry = RetryPolicy.from_settings(self._settings)
        # NOTE: a client whose TLS configuration was replaced stays open until `aclose()`,
        # because a reconcile that still has the old session may be using it.
        self._clients: dict[_ClientKey, DMSHttpClient] = {}
        self._sessions: dict[tuple[_ClientKey, str], DMSSession] = {}
        self._warned_insecure: set[str] = set()
        self._closed = False

    def session_for(self, credentials: DMSCredentials) -> DMSSession:
        """Return the shared session for `credentials`, creating it if needed.

        No request is sent here; the session logs in on its first call.
        """
        if self._closed:
            raise RuntimeError("DMSClientPool is closed")
        client_key = _ClientKey(credentials.endpoint, TLSConfig.from_credentials(credentials))
        session_key = (client_key, credentials.username)
        session = self._sessions.get(session_key)
        if session is not None and session.fingerprint == credentials.fingerprint:
            return session
        if session is not None:
            _log.info(
                "DMS credentials for %s at %s changed; the next call logs in again",
                credentials.username,
                credentials.endpoint,
            )
        session = DMSSession(
            self._client_for(client_key),
            credentials,
            retry=self._retry,
            renew_margin_seconds=self._settings.dms_token_renew_margin_seconds,
            login_failure_backoff_seconds=self._settings.dms_login_failure_backoff_seconds,
            page_size=self._settings.dms_list_page_size,
            max_pages=self._settings.dms_list_max_pages,
            observer=self._observer,
            clock=self._clock,
            sleep=self._sleep,
        )
        self._sessions[session_key] = session
        return session

    async def aclose(self) -> None:
        """Close every HTTP client; later `session_for` calls raise `RuntimeError`."""
        self._closed = True
        clients = list(self._clients.values())
        self._clients.clear()
        self._sessions.clear()
        for client in clients:
            await client.aclose()

    def _client_for(self, key: _ClientKey) -> DMSHttpClient:
        client = self._clients.get(key)
        if client is not None:
            return client
        self._warn_if_insecure(key)
        async_client = build_async_client(
            key.endpoint, key.tls, self._settings, transport=self._transport
        )
        client = DMSHttpClient(
            async_client, path_prefix=self._settings.dms_path_prefix, observer=self._observer
        )
        self._clients[key] = client
        return client

    def _warn_if_insecure(self, key: _ClientKey) -> None:
        if key.endpoint in self._warned_insecure:
            return
        if key.endpoint.startswith("http://"):
            self._warned_insecure.add(key.endpoint)
            _log.warning(
                "DMS endpoint %s uses plain HTTP, so the password and token travel "
                "unencrypted; use https:// outside of tests",
                key.endpoint,
            )
        elif key.tls.insecure_skip_verify:
            self._warned_insecure.add(key.endpoint)
            _log.warning(
                "TLS certificate verification is off for DMS endpoint %s "
                "(insecureSkipTLSVerify), so traffic to it can be intercepted",
                key.endpoint,
            )
