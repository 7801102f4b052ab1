"""Translation of HTTP statuses and httpx exceptions into `DMSError` subclasses.

DMS error bodies have the shape `{"message": "...", "errorCodes": {"type": "..."}}`.
The DMS message is copied into the exception after every password and token sent in
the request has been replaced by `***`, because a validation message may echo a value.
"""

import ssl
from collections.abc import Iterable

import httpx
import pydantic

from dms_operator.clients.dms.errors import (
    DMSAlreadyExistsError,
    DMSAuthenticationError,
    DMSError,
    DMSForbiddenError,
    DMSInvalidRequestError,
    DMSNotFoundError,
    DMSRateLimitedError,
    DMSServerError,
    DMSTimeoutError,
    DMSTLSVerificationError,
    DMSTransportError,
    DMSUnexpectedResponseError,
    parse_retry_after,
    shorten,
)

_REDACTED = "***"

# httpx errors raised before any byte of the request reached the server.
_NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

_UNKNOWN_OUTCOME_HINT = (
    "DMS may have acted on the request, so look the object up by name before sending it again"
)


def error_from_response(
    response: httpx.Response,
    *,
    method: str,
    path: str,
    login: bool = False,
    creates: bool = False,
    secrets: Iterable[str] = (),
) -> DMSError:
    """Build the error for a response with a status outside 2xx.

    `login` maps every 4xx except 429 to `DMSAuthenticationError`. `creates` marks a
    non-idempotent request: a 5xx then sets `outcome_unknown`.
    """
    status = response.status_code
    dms_message, error_type = _parse_error_body(response, secrets)
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    summary = f"DMS {method} {path} failed with HTTP {status}"
    if error_type:
        summary += f" ({error_type})"
    if dms_message:
        summary += f": {dms_message}"

    cls: type[DMSError]
    hint = ""
    outcome_unknown = False
    if login and 400 <= status < 500 and status != 429:
        cls = DMSAuthenticationError
        hint = "check the DMS username and password"
    elif status == 401:
        cls = DMSAuthenticationError
        hint = "DMS rejected a fresh token; check that the DMS user still exists"
    elif status == 403:
        cls = DMSForbiddenError
        hint = "check the DMS user's role and organization"
    elif status == 404:
        cls = DMSNotFoundError
    elif status == 409 or (status == 400 and error_type == "ALREADY_EXISTS"):
        cls = DMSAlreadyExistsError
    elif status == 429:
        cls = DMSRateLimitedError
        if retry_after is not None:
            hint = f"retry after {retry_after:g} s"
    elif 400 <= status < 500:
        cls = DMSInvalidRequestError
    elif status >= 500:
        cls = DMSServerError
        outcome_unknown = creates
        hint = _UNKNOWN_OUTCOME_HINT if creates else ""
    else:
        cls = DMSUnexpectedResponseError
    message = f"{summary}; {hint}" if hint else summary
    return cls(
        message,
        method=method,
        path=path,
        status_code=status,
        dms_message=dms_message,
        error_type=error_type,
        retry_after=retry_after,
        outcome_unknown=outcome_unknown,
    )


def _caused_by_certificate(exc: BaseException) -> bool:
    """Tell whether an ssl certificate verification error is in the exception's chain."""
    current: BaseException | None = exc
    for _ in range(10):  # a bound in case of a cycle in the chain
        if current is None:
            return False
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        current = current.__cause__ or current.__context__
    return False


def error_from_exception(
    exc: httpx.RequestError, *, method: str, path: str, creates: bool = False
) -> DMSTransportError:
    """Build the error for a request that got no HTTP response."""
    detail = shorten(str(exc)) or "no detail"
    if isinstance(exc, httpx.TimeoutException):
        cls: type[DMSTransportError] = DMSTimeoutError
        failure = "timed out"
    elif _caused_by_certificate(exc):
        cls = DMSTLSVerificationError
        failure = "failed: the server's TLS certificate did not verify"
    else:
        cls = DMSTransportError
        failure = "failed before a response arrived"
    outcome_unknown = creates and not isinstance(exc, _NOT_SENT_ERRORS)
    message = f"DMS {method} {path} {failure} ({type(exc).__name__}: {detail})"
    if outcome_unknown:
        message += f"; {_UNKNOWN_OUTCOME_HINT}"
    return cls(message, method=method, path=path, outcome_unknown=outcome_unknown)


def error_from_invalid_body(
    response: httpx.Response, exc: pydantic.ValidationError, *, method: str, path: str
) -> DMSUnexpectedResponseError:
    """Build the error for a 2xx response whose body does not fit the expected model.

    The message names the first failing location but not the input value, which could
    be large.
    """
    first = exc.errors(include_input=False, include_url=False)[0]
    location = ".".join(str(part) for part in first["loc"]) or "body"
    message = (
        f"DMS {method} {path} returned HTTP {response.status_code} with a body that does not "
        f"match the expected shape ({exc.error_count()} problem(s), first at {location}: "
        f"{first['msg']})"
    )
    return DMSUnexpectedResponseError(
        message, method=method, path=path, status_code=response.status_code
    )


def _parse_error_body(
    response: httpx.Response, secrets: Iterable[str]
) -> tuple[str | None, str | None]:
    try:
        body = response.json()
    except ValueError:
        body = None
    message: str | None = None
    error_type: str | None = None
    if isinstance(body, dict):
        raw_message = body.get("message")
        if isinstance(raw_message, str):
            message = raw_message
        codes = body.get("errorCodes")
        if isinstance(codes, dict) and isinstance(codes.get("type"), str):
            error_type = codes["type"]
    elif body is None and "html" not in response.headers.get("Content-Type", ""):
        # A plain-text body, e.g. from a proxy in front of DMS. HTML pages are dropped.
        message = response.text or None
    if message:
        message = shorten(_redact(message, secrets)) or None
    return message, error_type


def _redact(text: str, secrets: Iterable[str]) -> str:
    # Sorted by decreasing length, so that a secret containing another one is replaced whole.
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, _REDACTED)
    return text
