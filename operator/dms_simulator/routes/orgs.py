"""Organizations (`/provider/orgs`). DMS has no delete for them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.responses import Response

from dms_simulator.auth import AnyRole, OrgMember, ProviderOnly
from dms_simulator.errors import already_exists, forbidden
from dms_simulator.paging import Paging, paginate
from dms_simulator.records import TENANT_ORG, Org, new_id
from dms_simulator.routes.prefix import PREFIX
from dms_simulator.runtime import Simulator, get_simulator
from dms_simulator.schemas import OrgCreateRequest, OrgUpdateRequest
from dms_simulator.tls import make_database_ca_pem

router = APIRouter(prefix=PREFIX, tags=["organizations"])
SimulatorDep = Annotated[Simulator, Depends(get_simulator)]


def _check_unique(
    simulator: Simulator,
    company_name: str | None,
    suffix: str | None,
    own_id: str | None = None,
) -> None:
    for org in simulator.store.state.orgs.values():
        if org.id == own_id:
            continue
        if company_name is not None and org.companyName.casefold() == company_name.casefold():
            raise already_exists("companyName", company_name)
        if suffix is not None and org.dbFqdnSuffix == suffix:
            raise already_exists("dbFqdnSuffix", suffix)


def _visible_org(simulator: Simulator, context: AnyRole, org_id: str) -> Org:
    org = simulator.store.org(org_id)
    if not context.is_provider and org.id != context.org.id:
        raise forbidden(f"organization '{org_id}' is not the user's org")
    return org


@router.post("/orgs", summary="Create an organization")
async def create_org(
    body: OrgCreateRequest, context: ProviderOnly, simulator: SimulatorDep
) -> dict[str, Any]:
    _check_unique(simulator, body.companyName, body.dbFqdnSuffix)
    org = Org(
        id=new_id(),
        companyName=body.companyName,
        email=body.email,
        instanceMode=body.instanceMode,
        orgType=TENANT_ORG,
        dbFqdnSuffix=body.dbFqdnSuffix,
        databaseCaPem=make_database_ca_pem(body.companyName),
    )
    simulator.store.state.orgs[org.id] = org
    # Every new org gets one environment (a vSphere cluster) to place databases in.
    simulator.store.add_environment(org)
    simulator.store.save()
    return org.wire()


@router.get("/orgs", summary="List organizations")
async def list_orgs(context: AnyRole, paging: Paging, simulator: SimulatorDep) -> dict[str, Any]:
    orgs = [
        org.wire()
        for org in simulator.store.state.orgs.values()
        if context.is_provider or org.id == context.org.id
    ]
    return paginate(orgs, paging)


@router.get("/orgs/{org_id}", summary="Get an organization")
async def get_org(org_id: str, context: AnyRole, simulator: SimulatorDep) -> dict[str, Any]:
    return _visible_org(simulator, context, org_id).wire()


@router.put("/orgs/{org_id}", summary="Update an organization")
async def update_org(
    org_id: str, body: OrgUpdateRequest, context: ProviderOnly, simulator: SimulatorDep
) -> dict[str, Any]:
    org = simulator.store.org(org_id)
    _check_unique(simulator, body.companyName, body.dbFqdnSuffix, own_id=org.id)
    if body.companyName is not None:
        org.companyName = body.companyName
        for user in simulator.store.state.users.values():
            if user.tenantId == org.id:
                user.companyName = body.companyName
    if body.email is not None:
        org.email = body.email
    if body.instanceMode is not None:
        org.instanceMode = body.instanceMode
    if body.dbFqdnSuffix is not None:
        org.dbFqdnSuffix = body.dbFqdnSuffix
    simulator.store.save()
    return org.wire()


@router.get(
    "/orgs/{org_id}/download-database-ca",
    summary="Download the org's database CA certificate",
    response_class=Response,
    responses={200: {"content": {"application/x-pem-file": {}}}},
)
async def download_database_ca(
    org_id: str, context: OrgMember, simulator: SimulatorDep
) -> Response:
    org = _visible_org(simulator, context, org_id)
    return Response(
        org.databaseCaPem,
        media_type="application/x-pem-file",
        headers={"Content-Disposition": 'attachment; filename="database-ca.pem"'},
    )
