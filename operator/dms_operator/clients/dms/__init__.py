"""Async client of the DMS REST API.

Typical use::

    pool = DMSClientPool(OperatorSettings())
    session = pool.session_for(DMSCredentials.from_secret_data(secret.data, "ns/name"))
    org_id = await session.default_org_id()
    database = await session.get_database(org_id, database_id)
    ...
    await pool.aclose()

Modules: `errors` (the exception tree), `http` (TLS and one request), `retry`
(backoff), `core` (login and token renewal), `api_admin` and `api_databases` (the
calls), `session` (`DMSSession`), `pool` (`DMSClientPool`), `observer` (metrics hook).
"""

from dms_operator.clients.dms.errors import (
    DMSAlreadyExistsError,
    DMSAuthenticationError,
    DMSError,
    DMSForbiddenError,
    DMSInvalidRequestError,
    DMSNoDefaultOrgError,
    DMSNotFoundError,
    DMSRateLimitedError,
    DMSServerError,
    DMSTimeoutError,
    DMSTLSVerificationError,
    DMSTransportError,
    DMSUnexpectedResponseError,
)
from dms_operator.clients.dms.observer import DMSClientObserver, NoopObserver
from dms_operator.clients.dms.pool import DMSClientPool
from dms_operator.clients.dms.session import DMSSession

__all__ = [
    "DMSAlreadyExistsError",
    "DMSAuthenticationError",
    "DMSClientObserver",
    "DMSClientPool",
    "DMSError",
    "DMSForbiddenError",
    "DMSInvalidRequestError",
    "DMSNoDefaultOrgError",
    "DMSNotFoundError",
    "DMSRateLimitedError",
    "DMSServerError",
    "DMSSession",
    "DMSTLSVerificationError",
    "DMSTimeoutError",
    "DMSTransportError",
    "DMSUnexpectedResponseError",
    "NoopObserver",
]
