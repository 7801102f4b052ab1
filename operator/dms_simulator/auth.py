"""Sessions and roles: JWT issue and check, `X-Org-ID` handling, and the FastAPI
dependencies that enforce who may call a route.

A token is an HS256 JWT signed with the key in the state. It stays valid until
`exp` unless it was logged out (its `jti` is listed) or its generation is stale:
every token carries the global and its user's token generation, and the control
API expires or revokes tokens by bumping one of them.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from dms_simulator.errors import VALIDATION_ERROR, DmsError, forbidden, unauthorized
from dms_simulator.records import ORG_ADMIN, ORG_USER, PROVIDER, Org, User
from dms_simulator.runtime import Simulator, get_simulator

_ALGORITHM = "HS256"
_bearer = HTTPBearer(auto_error=False, description="the JWT from POST /provider/session")
_org_header = APIKeyHeader(
    name="X-Org-ID", auto_error=False, description="id of an org the user belongs to"
)


@dataclass(frozen=True)
class Session:
    """The user behind a valid token."""

    user: User
    claims: dict[str, Any]


@dataclass(frozen=True)
class OrgContext:
    """A session acting inside the org named by `X-Org-ID`."""

    user: User
    org: Org
    claims: dict[str, Any]

    @property
    def roles(self) -> list[str]:
        return self.user.roles

    @property
    def is_provider(self) -> bool:
        return PROVIDER in self.user.roles


def issue_token(simulator: Simulator, user: User) -> str:
    state = simulator.store.state
    now = time.time()
    claims = {
        "sub": user.email,
        "uid": user.id,
        "iat": int(now),
        "exp": math.ceil(now + simulator.config.token_ttl_seconds),
        "jti": str(uuid.uuid4()),
        "gen": state.tokenGeneration,
        "ugen": state.userTokenGenerations.get(user.email.casefold(), 0),
    }
    return jwt.encode(claims, state.signingKey, algorithm=_ALGORITHM)


def revoke_token(simulator: Simulator, claims: dict[str, Any]) -> None:
    """Log a token out; expired entries are pruned on the way."""
    state = simulator.store.state
    now = time.time()
    for token_id, expiry in list(state.revokedTokens.items()):
        if expiry < now:
            del state.revokedTokens[token_id]
    state.revokedTokens[str(claims["jti"])] = float(claims["exp"])


def invalidate_tokens(simulator: Simulator, reason: str, email: str | None = None) -> None:
    """Make every token issued so far (or only `email`'s) fail with `reason`
    ("expired" or "revoked")."""
    state = simulator.store.state
    if email is None:
        state.tokenGeneration += 1
        state.tokenGenerationReason = reason
        return
    key = email.casefold()
    state.userTokenGenerations[key] = state.userTokenGenerations.get(key, 0) + 1
    state.userTokenReasons[key] = reason


def _check_token(simulator: Simulator, token: str) -> Session:
    state = simulator.store.state
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            state.signingKey,
            algorithms=[_ALGORITHM],
            options={"require": ["sub", "exp", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise unauthorized("token expired") from None
    except jwt.InvalidTokenError:
        raise unauthorized("invalid token") from None
    if claims.get("gen") != state.tokenGeneration:
        raise unauthorized(f"token {state.tokenGenerationReason}")
    key = str(claims["sub"]).casefold()
    if claims.get("ugen") != state.userTokenGenerations.get(key, 0):
        raise unauthorized(f"token {state.userTokenReasons.get(key, 'revoked')}")
    if str(claims["jti"]) in state.revokedTokens:
        raise unauthorized("token revoked")
    user = state.users.get(str(claims.get("uid")))
    if user is None or user.email.casefold() != key:
        raise unauthorized("the token's user no longer exists")
    return Session(user=user, claims=claims)


async def current_session(
    request: Request,
    simulator: Annotated[Simulator, Depends(get_simulator)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Session:
    """Require a valid bearer token (401 otherwise)."""
    if credentials is None:
        raise unauthorized("missing bearer token")
    session = _check_token(simulator, credentials.credentials)
    request.state.user_email = session.user.email
    return session


async def org_context(
    simulator: Annotated[Simulator, Depends(get_simulator)],
    session: Annotated[Session, Depends(current_session)],
    org_id: Annotated[str | None, Depends(_org_header)],
) -> OrgContext:
    """Require `X-Org-ID` naming an org the user belongs to."""
    if not org_id:
        raise DmsError(400, VALIDATION_ERROR, "X-Org-ID: header is required")
    org = simulator.store.state.orgs.get(org_id)
    # A local DMS user belongs to exactly one org.
    if org is None or session.user.tenantId != org.id:
        raise forbidden(f"X-Org-ID: the user is not a member of org '{org_id}'")
    return OrgContext(user=session.user, org=org, claims=session.claims)


def require_roles(*roles: str) -> Callable[[OrgContext], Awaitable[OrgContext]]:
    """Build a dependency that requires one of `roles` in the `X-Org-ID` org."""

    async def dependency(context: Annotated[OrgContext, Depends(org_context)]) -> OrgContext:
        if not any(role in context.roles for role in roles):
            raise forbidden(f"this operation requires one of the roles {', '.join(roles)}")
        return context

    return dependency


AnyRole = Annotated[OrgContext, Depends(org_context)]
ProviderOnly = Annotated[OrgContext, Depends(require_roles(PROVIDER))]
OrgMember = Annotated[OrgContext, Depends(require_roles(ORG_ADMIN, ORG_USER))]
ProviderOrOrgAdmin = Annotated[OrgContext, Depends(require_roles(PROVIDER, ORG_ADMIN))]
