"""Users (`/provider/users`): the provider manages all, an ORG_ADMIN its own org's."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from dms_simulator.auth import ProviderOrOrgAdmin
from dms_simulator.errors import already_exists, forbidden, not_found, validation_failed
from dms_simulator.paging import Paging, paginate
from dms_simulator.passwords import hash_password
from dms_simulator.records import PROVIDER, TENANT_ORG, User
from dms_simulator.routes.prefix import PREFIX
from dms_simulator.runtime import Simulator, get_simulator
from dms_simulator.schemas import UserCreateRequest

router = APIRouter(prefix=PREFIX, tags=["users"])
SimulatorDep = Annotated[Simulator, Depends(get_simulator)]


@router.post("/users", summary="Create a user")
async def create_user(
    body: UserCreateRequest, context: ProviderOrOrgAdmin, simulator: SimulatorDep
) -> dict[str, Any]:
    store = simulator.store
    roles = list(dict.fromkeys(body.roles))
    if PROVIDER in roles:
        # DMS has one built-in provider admin and cannot create more.
        raise validation_failed("roles", "a PROVIDER user cannot be created")
    tenant_id = body.tenantId
    if tenant_id is None and not context.is_provider:
        tenant_id = context.org.id
    if tenant_id is None:
        raise validation_failed("tenantId", "must not be null for ORG_ADMIN or ORG_USER users")
    org = store.state.orgs.get(tenant_id)
    if org is None or org.orgType != TENANT_ORG:
        raise validation_failed("tenantId", f"unknown organization '{tenant_id}'")
    if not context.is_provider and org.id != context.org.id:
        raise forbidden("an ORG_ADMIN may only create users in its own org")
    if store.user_by_email(body.email) is not None:
        raise already_exists("email", body.email)
    user = User(
        id=store.allocate_user_id(),
        firstName=body.firstName,
        lastName=body.lastName,
        contactNumber=body.contactNumber or "",
        email=body.email,
        tenantId=org.id,
        companyName=org.companyName,
        roles=roles,
        passwordHash=hash_password(body.password),
    )
    store.state.users[str(user.id)] = user
    store.save()
    return user.wire()


@router.get("/users", summary="List users")
async def list_users(
    context: ProviderOrOrgAdmin,
    paging: Paging,
    simulator: SimulatorDep,
    tenantId: Annotated[str | None, Query()] = None,
    email: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    users = []
    for user in simulator.store.state.users.values():
        if not context.is_provider and user.tenantId != context.org.id:
            continue
        if tenantId is not None and user.tenantId != tenantId:
            continue
        if email is not None and user.email.casefold() != email.casefold():
            continue
        users.append(user.wire())
    return paginate(users, paging)


@router.delete("/users/{user_id}", summary="Delete a user")
async def delete_user(
    user_id: int, context: ProviderOrOrgAdmin, simulator: SimulatorDep
) -> Response:
    store = simulator.store
    user = store.state.users.get(str(user_id))
    if user is None:
        raise not_found("user", user_id)
    if PROVIDER in user.roles:
        raise validation_failed("id", "the provider admin cannot be deleted")
    if not context.is_provider and user.tenantId != context.org.id:
        raise forbidden("an ORG_ADMIN may only delete users of its own org")
    del store.state.users[str(user_id)]
    store.save()
    return Response(status_code=200)
