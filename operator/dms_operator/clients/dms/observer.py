"""Observability hook of the DMS client, e.g. for Prometheus metrics.

The client calls the observer once per HTTP request (retries and logins included) and
once per established session. Operation names use the route template under the path
prefix, such as "GET /databases/{id}", so that they stay few and never contain an id.
"""

from typing import Literal, Protocol

SessionEvent = Literal["login", "renew"]


class DMSClientObserver(Protocol):
    """Receives one call per DMS request and per established session."""

    def request_finished(self, operation: str, outcome: str, seconds: float) -> None:
        """Record one finished request.

        `outcome` is the HTTP status code as text ("200", "404"), or "timeout" or
        "transport_error" when no response arrived. `seconds` is the wall time of the
        request.
        """

    def session_established(self, endpoint: str, event: SessionEvent) -> None:
        """Record a new token for `endpoint`: a fresh login or a renewal."""


class NoopObserver:
    """The default observer, which records nothing."""

    def request_finished(self, operation: str, outcome: str, seconds: float) -> None:
        """Ignore the request."""

    def session_established(self, endpoint: str, event: SessionEvent) -> None:
        """Ignore the session."""
