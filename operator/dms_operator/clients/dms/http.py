"""HTTP layer of the DMS client: TLS setup, the shared `httpx.AsyncClient`, one request.

`DMSHttpClient.request` sends one request (no retries, no login), reports it to the
observer, logs one DEBUG line and turns every failure into a `DMSError`. Logs carry the
method, the route template, the status and the duration, never headers or bodies.
"""

import logging
import ssl
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, urlsplit

import httpx

from dms_operator import __version__
from dms_operator.clients.dms.error_mapping import error_from_exception, error_from_response
from dms_operator.clients.dms.observer import DMSClientObserver
from dms_operator.models.credentials import DMSCredentials
from dms_operator.settings import OperatorSettings

DMS_MEDIA_TYPE: Final = "application/vnd.vmware.dms-v1+json"
USER_AGENT: Final = f"dms-operator/{__version__}"

_log = logging.getLogger(__name__)

QueryParams = Mapping[str, str | int | Sequence[str]]


@dataclass(frozen=True)
class TLSConfig:
    """How to verify the DMS provider's certificate; also part of the client pool key."""

    ca_pem: str | None = None
    insecure_skip_verify: bool = False

    @classmethod
    def from_credentials(cls, credentials: DMSCredentials) -> "TLSConfig":
        """Take the TLS fields of `credentials`; a CA is irrelevant once verification is off."""
        if credentials.insecure_skip_tls_verify:
            return cls(ca_pem=None, insecure_skip_verify=True)
        return cls(ca_pem=credentials.ca_pem, insecure_skip_verify=False)


def build_verify(tls: TLSConfig) -> ssl.SSLContext | bool:
    """Build httpx's `verify` argument.

    A CA bundle replaces the default trust store, like `certificate-authority-data` in a
    kubeconfig. Without one, `True` lets httpx verify against its default (certifi)
    bundle. Hostname checking stays on unless verification is switched off entirely.
    """
    if tls.insecure_skip_verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if tls.ca_pem:
        return ssl.create_default_context(cadata=tls.ca_pem)
    return True


def build_async_client(
    base_url: str,
    tls: TLSConfig,
    settings: OperatorSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """Create the long-lived client for one DMS endpoint and TLS configuration.

    A `transport` (tests pass `httpx.MockTransport`) replaces the network, and with it
    the TLS and connection-limit settings.
    """
    timeout = httpx.Timeout(
        connect=settings.dms_connect_timeout_seconds,
        read=settings.dms_read_timeout_seconds,
        write=settings.dms_write_timeout_seconds,
        pool=settings.dms_pool_timeout_seconds,
    )
    limits = httpx.Limits(
        max_connections=settings.dms_max_connections,
        max_keepalive_connections=settings.dms_max_connections,
    )
    return httpx.AsyncClient(
        base_url=base_url,
        headers={"User-Agent": USER_AGENT, "Accept": DMS_MEDIA_TYPE},
        timeout=timeout,
        limits=limits,
        verify=build_verify(tls),
        transport=transport,
        follow_redirects=False,
    )


class DMSHttpClient:
    """Sends single requests to one DMS endpoint under the configured path prefix."""

    def __init__(
        self, client: httpx.AsyncClient, *, path_prefix: str, observer: DMSClientObserver
    ) -> None:
        self._client = client
        self._prefix = path_prefix
        self._observer = observer
        self.endpoint = str(client.base_url).rstrip("/")
        self._host = urlsplit(self.endpoint).netloc

    def path_for(self, template: str, path_params: Mapping[str, str | int] | None = None) -> str:
        """Fill a route template such as "/databases/{id}" and prepend the prefix.

        Parameters are percent-encoded, so an id cannot change the route.
        """
        quoted = {name: quote(str(value), safe="") for name, value in (path_params or {}).items()}
        return self._prefix + template.format_map(quoted)

    async def request(
        self,
        method: str,
        template: str,
        *,
        path_params: Mapping[str, str | int] | None = None,
        params: QueryParams | None = None,
        json: Any = None,
        token: str | None = None,
        org_id: str | None = None,
        accept: str | None = None,
        login: bool = False,
        creates: bool = False,
        secrets: Iterable[str] = (),
    ) -> httpx.Response:
        """Send one request and return the 2xx response, or raise a `DMSError`.

        `token` is sent as the `Authorization` header value verbatim and `org_id` as
        `X-Org-ID`. `accept` replaces the default `Accept` header (the DMS JSON media
        type). `login` and `creates` change the error mapping (see
        `error_from_response`). `secrets` are scrubbed from DMS error messages, in
        addition to the token.
        """
        path = self.path_for(template, path_params)
        operation = f"{method} {template}"
        headers: dict[str, str] = {}
        redact = list(secrets)
        if token is not None:
            headers["Authorization"] = token
            redact.extend([token, token.removeprefix("Bearer ").strip()])
        if org_id is not None:
            headers["X-Org-ID"] = org_id
        if accept is not None:
            headers["Accept"] = accept

        started = time.perf_counter()
        try:
            response = await self._client.request(
                method, path, params=params, json=json, headers=headers
            )
        except httpx.RequestError as exc:
            timed_out = isinstance(exc, httpx.TimeoutException)
            self._finished(operation, "timeout" if timed_out else "transport_error", started)
            raise error_from_exception(exc, method=method, path=path, creates=creates) from exc

        self._finished(operation, str(response.status_code), started)
        if response.is_success:
            return response
        raise error_from_response(
            response, method=method, path=path, login=login, creates=creates, secrets=redact
        )

    async def aclose(self) -> None:
        """Close the underlying client and its connections."""
        await self._client.aclose()

    def _finished(self, operation: str, outcome: str, started: float) -> None:
        seconds = time.perf_counter() - started
        _log.debug("DMS %s %s -> %s in %.3f s", self._host, operation, outcome, seconds)
        try:
            self._observer.request_finished(operation, outcome, seconds)
        except Exception:
            # Metrics must not break DMS calls; the traceback shows the observer's bug.
            _log.exception("DMS client observer failed to record %s", operation)
