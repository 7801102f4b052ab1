"""Errors of the DMS client.

Every failure of a DMS call leaves the client as one of these, chained (`raise ... from`)
to the httpx error or carrying the HTTP status that caused it::

    DMSError
    ├── DMSAuthenticationError      login rejected, or a token rejected again (401)
    ├── DMSForbiddenError           403: the role or X-Org-ID does not allow the call
    ├── DMSNotFoundError            404: unknown id
    ├── DMSAlreadyExistsError       409, or 400 with errorCodes.type ALREADY_EXISTS
    ├── DMSInvalidRequestError      any other 4xx (validation errors, INVALID_STATE, ...)
    ├── DMSRateLimitedError         429, with `retry_after`
    ├── DMSServerError              5xx
    ├── DMSUnexpectedResponseError  a 2xx body that does not parse, an unexpected status,
    │                               a list longer than the page bound
    ├── DMSNoDefaultOrgError        the login belongs to zero or several organizations
    └── DMSTransportError           no HTTP response: connection refused, reset, TLS failure
        ├── DMSTimeoutError         connect, read, write or pool timeout
        └── DMSTLSVerificationError the server's certificate does not verify

`retryable` is true for rate limiting, 5xx, transport errors and timeouts, but not for
a certificate that does not verify, which only a changed CA or endpoint fixes. For a request
that creates something (a POST), `outcome_unknown` is true when DMS may have acted
before the failure: the caller must look the object up by name before sending the
request again, or it may create a duplicate.

Messages are one line and never contain a password or token.
"""

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final

# DMS messages are copied into exception messages, status conditions and Events,
# which people read; a longer message is cut.
MAX_DMS_MESSAGE_LENGTH: Final = 300


class DMSError(Exception):
    """A failed DMS call.

    Attributes:
        method: HTTP method, e.g. "GET"; empty for errors that have no request.
        path: request path without query string, e.g. "/provider/databases/<id>".
        status_code: HTTP status, `None` when no response arrived.
        dms_message: DMS's `message` from the error body, one line, cut to
            `MAX_DMS_MESSAGE_LENGTH`.
        error_type: DMS's `errorCodes.type`, e.g. "VALIDATION_ERROR".
        retry_after: seconds the server asked to wait (`Retry-After`), if any.
        outcome_unknown: true when a non-idempotent request (a create) failed after it may
            have reached DMS. DMS may then have acted on it, so look the object up before
            sending the request again.
    """

    default_retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        status_code: int | None = None,
        dms_message: str | None = None,
        error_type: str | None = None,
        retry_after: float | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(one_line(message))
        self.method = method
        self.path = path
        self.status_code = status_code
        self.dms_message = dms_message
        self.error_type = error_type
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown

    @property
    def retryable(self) -> bool:
        """Whether sending the same request again later may succeed."""
        return self.default_retryable

    @property
    def message(self) -> str:
        """The one-line error message."""
        return str(self)


class DMSAuthenticationError(DMSError):
    """DMS rejected the login, or rejected a fresh token with 401."""


class DMSForbiddenError(DMSError):
    """403: the user's role or the `X-Org-ID` organization does not allow the call."""


class DMSNotFoundError(DMSError):
    """404: the id is unknown to DMS."""


class DMSAlreadyExistsError(DMSError):
    """A unique name (org, user email, database instance name, plan) is taken."""


class DMSInvalidRequestError(DMSError):
    """Any other 4xx; `dms_message` and `error_type` contain what DMS rejected."""


class DMSRateLimitedError(DMSError):
    """429: DMS asked the client to slow down, for `retry_after` seconds if given."""

    default_retryable = True


class DMSServerError(DMSError):
    """5xx: DMS failed to handle the request."""

    default_retryable = True


class DMSUnexpectedResponseError(DMSError):
    """A response the client cannot use: a 2xx body of the wrong shape, a 1xx or 3xx status,
    or a list with more pages than the configured bound."""


class DMSNoDefaultOrgError(DMSError):
    """The login belongs to zero or several organizations and none was chosen."""


class DMSTransportError(DMSError):
    """No HTTP response arrived: connection refused or reset, DNS or TLS failure."""

    default_retryable = True


class DMSTimeoutError(DMSTransportError):
    """A connect, read, write or connection-pool timeout."""


class DMSTLSVerificationError(DMSTransportError):
    """The server's TLS certificate does not verify against the trusted CAs."""

    default_retryable = False


def one_line(text: str) -> str:
    """Collapse all whitespace runs in `text` into single spaces."""
    return " ".join(text.split())


def shorten(text: str, limit: int = MAX_DMS_MESSAGE_LENGTH) -> str:
    """Return `text` on one line, cut to `limit` characters with an ellipsis."""
    flat = one_line(text)
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rstrip() + "…"


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Parse a `Retry-After` header into seconds from now.

    The header is either a number of seconds or an HTTP date. Returns `None` for a
    missing or unparseable value, and 0.0 for a date in the past.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # NaN and infinity parse as floats but are not valid header values.
        if seconds != seconds or seconds in (float("inf"), float("-inf")):
            return None
        return max(seconds, 0.0)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        # HTTP dates are always GMT; `parsedate_to_datetime` leaves "-0000" naive.
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else datetime.now(UTC)
    return max((when - current).total_seconds(), 0.0)
