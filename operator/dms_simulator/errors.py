"""DMS error responses: the `DmsError` exception raised by route code, and the
handlers that turn it, FastAPI's validation errors and Starlette's HTTP errors
into DMS's `{"message", "errorCodes": {"type"}}` body."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

MEDIA_TYPE = "application/vnd.vmware.dms-v1+json"

VALIDATION_ERROR = "VALIDATION_ERROR"
ALREADY_EXISTS = "ALREADY_EXISTS"
AUTHENTICATION_FAILURE = "AUTHENTICATION_FAILURE"
UNAUTHORIZED = "UNAUTHORIZED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
INVALID_STATE = "INVALID_STATE"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
INTERNAL_ERROR = "INTERNAL_ERROR"

_TYPE_BY_STATUS = {
    400: VALIDATION_ERROR,
    401: UNAUTHORIZED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    405: METHOD_NOT_ALLOWED,
    429: TOO_MANY_REQUESTS,
}

logger = logging.getLogger("dms_simulator")


class DmsJSONResponse(JSONResponse):
    """A JSON response with DMS's vendor media type."""

    media_type = MEDIA_TYPE


class DmsError(Exception):
    """An error that the simulator returns to the client as a DMS error body."""

    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.headers = headers or {}


def error_type_for_status(status: int) -> str:
    """Return the `errorCodes.type` used for an HTTP status without a more precise code."""
    if status >= 500:
        return INTERNAL_ERROR
    return _TYPE_BY_STATUS.get(status, VALIDATION_ERROR)


def error_response(
    status: int, error_type: str, message: str, headers: dict[str, str] | None = None
) -> DmsJSONResponse:
    """Build a DMS error response."""
    body = {"message": message, "errorCodes": {"type": error_type}}
    return DmsJSONResponse(body, status_code=status, headers=headers)


def validation_failed(field: str, problem: str) -> DmsError:
    """Return a 400 VALIDATION_ERROR whose message starts with the field's path."""
    return DmsError(400, VALIDATION_ERROR, f"{field}: {problem}")


def already_exists(field: str, value: str) -> DmsError:
    return DmsError(400, ALREADY_EXISTS, f"{field}: '{value}' already exists")


def not_found(kind: str, identifier: object) -> DmsError:
    return DmsError(404, NOT_FOUND, f"{kind} '{identifier}' not found")


def invalid_state(message: str) -> DmsError:
    return DmsError(400, INVALID_STATE, message)


def forbidden(message: str) -> DmsError:
    return DmsError(403, FORBIDDEN, message)


def unauthorized(message: str) -> DmsError:
    return DmsError(401, UNAUTHORIZED, message)


def field_path(location: Sequence[int | str]) -> str:
    """Render a pydantic error location such as ("body", "dbConfig", "port") as `dbConfig.port`."""
    parts = list(location)
    if parts and parts[0] in ("body", "query", "header", "path", "cookie"):
        parts = parts[1:]
    rendered = ""
    for part in parts:
        if isinstance(part, int):
            rendered += f"[{part}]"
        else:
            rendered += f".{part}" if rendered else str(part)
    return rendered


def describe_validation_error(error: dict[str, Any]) -> str:
    """Turn one pydantic error into `field: problem`, without echoing the input value,
    which can be a password."""
    location = tuple(error.get("loc", ()))
    kind = str(error.get("type", ""))
    field = field_path(location)
    if kind == "json_invalid":
        return "request body is not valid JSON"
    if kind == "missing" and not field:
        return "request body is missing"
    if kind == "missing":
        return f"{field}: must not be null or missing"
    message = str(error.get("msg", "is invalid"))
    # pydantic prefixes custom errors with "Value error, "; DMS messages do not.
    message = message.removeprefix("Value error, ")
    if not field:
        return f"request body: {message}"
    return f"{field}: {message}"


async def _dms_error_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, DmsError)
    return error_response(exc.status, exc.error_type, exc.message, exc.headers)


async def _validation_error_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    messages = [describe_validation_error(error) for error in errors[:5]]
    return error_response(400, VALIDATION_ERROR, "; ".join(messages) or "invalid request")


async def _http_error_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    return error_response(
        exc.status_code,
        error_type_for_status(exc.status_code),
        message,
        dict(exc.headers or {}),
    )


async def _unexpected_error_handler(request: Request, exc: Exception) -> Response:
    logger.error(
        "unexpected error on %s %s: %s", request.method, request.url.path, exc, exc_info=exc
    )
    return error_response(500, INTERNAL_ERROR, "internal error in the DMS simulator")


def install_error_handlers(app: FastAPI) -> None:
    """Make every error the app returns a DMS error body."""
    app.add_exception_handler(DmsError, _dms_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
    app.add_exception_handler(HTTPException, _http_error_handler)
    app.add_exception_handler(Exception, _unexpected_error_handler)
