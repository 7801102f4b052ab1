"""Sessions: log in, renew and log out (`/provider/session`)."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from dms_simulator.auth import Session, current_session, issue_token, revoke_token
from dms_simulator.errors import AUTHENTICATION_FAILURE, DmsError, DmsJSONResponse
from dms_simulator.passwords import verify_password
from dms_simulator.records import User
from dms_simulator.routes.prefix import PREFIX
from dms_simulator.runtime import Simulator, get_simulator
from dms_simulator.schemas import LoginRequest

router = APIRouter(prefix=PREFIX, tags=["sessions"])
logger = logging.getLogger("dms_simulator")

SimulatorDep = Annotated[Simulator, Depends(get_simulator)]
SessionDep = Annotated[Session, Depends(current_session)]


def session_info(simulator: Simulator, user: User) -> dict[str, Any]:
    org = simulator.store.state.orgs.get(user.tenantId)
    return {
        "firstName": user.firstName,
        "lastName": user.lastName,
        "contactNumber": user.contactNumber,
        "email": user.email,
        "type": user.type,
        "orgMemberships": [
            {
                "orgId": user.tenantId,
                "companyName": org.companyName if org else user.companyName,
                "email": user.email,
                "userRoles": list(user.roles),
                "roles": list(user.roles),
            }
        ],
    }


def _with_token(simulator: Simulator, user: User) -> DmsJSONResponse:
    token = issue_token(simulator, user)
    return DmsJSONResponse(
        session_info(simulator, user), headers={"Authorization": f"Bearer {token}"}
    )


@router.post("/session", summary="Log in")
async def login(request: Request, body: LoginRequest, simulator: SimulatorDep) -> Response:
    user = simulator.store.user_by_email(body.email)
    if user is None or not verify_password(body.password, user.passwordHash):
        logger.info("login failed for %s", body.email)
        raise DmsError(400, AUTHENTICATION_FAILURE, "Authentication failure")
    request.state.user_email = user.email
    return _with_token(simulator, user)


@router.post("/session/renew", summary="Renew the session token")
async def renew(session: SessionDep, simulator: SimulatorDep) -> Response:
    return _with_token(simulator, session.user)


@router.post("/session/logout", summary="Log out")
async def logout(session: SessionDep, simulator: SimulatorDep) -> Response:
    revoke_token(simulator, session.claims)
    simulator.store.save()
    return Response(status_code=200)
