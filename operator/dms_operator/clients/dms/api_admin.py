"""DMS API calls about organizations, users, instance plans, templates and environments.

Provider-level calls send the login's own organization as `X-Org-ID` (for a provider
administrator, the provider organization). Calls scoped to one organization take
`org_id` and send it.
"""

from typing import Final

import pydantic

from dms_operator.clients.dms.core import SessionCore
from dms_operator.clients.dms.errors import DMSNotFoundError
from dms_operator.clients.dms.http import DMS_MEDIA_TYPE
from dms_operator.models.dms import (
    Environment,
    InstancePlan,
    InstancePlanCreate,
    OrgCreate,
    OrgUpdate,
    Page,
    Template,
    Tenant,
    User,
    UserCreate,
)

_INSTANCE_PLANS: Final = pydantic.TypeAdapter(list[InstancePlan])
# DMS serves the CA as a file; JSON stays acceptable for error bodies.
_PEM_ACCEPT: Final = f"application/x-pem-file, {DMS_MEDIA_TYPE}"


class AdminApi(SessionCore):
    """Organization, user, instance plan, template and environment calls."""

    # Organizations (no delete: DMS cannot delete an organization)

    async def list_orgs(self) -> list[Tenant]:
        """List every organization the login can see (all, for a provider administrator)."""
        return await self._list_all("/orgs", Page[Tenant])

    async def get_org(self, org_id: str) -> Tenant:
        """Read one organization."""
        response = await self._call("GET", "/orgs/{id}", path_params={"id": org_id})
        return self._parse(response, Tenant)

    async def create_org(self, request: OrgCreate) -> Tenant:
        """Create an organization. Never retried: on an error with `outcome_unknown`,
        list the organizations and look for `company_name` before trying again."""
        response = await self._call("POST", "/orgs", body=request)
        return self._parse(response, Tenant)

    async def update_org(self, org_id: str, request: OrgUpdate) -> Tenant:
        """Change the fields of an organization that are set in `request`."""
        response = await self._call("PUT", "/orgs/{id}", path_params={"id": org_id}, body=request)
        return self._parse(response, Tenant)

    async def download_database_ca(self, org_id: str) -> str | None:
        """Return the PEM CA certificate of the org's databases, or `None` if DMS has none."""
        try:
            response = await self._call(
                "GET",
                "/orgs/{id}/download-database-ca",
                org_id=org_id,
                path_params={"id": org_id},
                accept=_PEM_ACCEPT,
            )
        except DMSNotFoundError:
            return None
        return response.text or None

    # Users

    async def create_user(self, request: UserCreate) -> User:
        """Create a user. Never retried: on an error with `outcome_unknown`, look for
        the email with `list_users` before trying again."""
        response = await self._call("POST", "/users", body=request)
        return self._parse(response, User)

    async def list_users(
        self, *, tenant_id: str | None = None, email: str | None = None
    ) -> list[User]:
        """List users, optionally only those of one organization or with one email."""
        params: dict[str, str] = {}
        if tenant_id is not None:
            params["tenantId"] = tenant_id
        if email is not None:
            params["email"] = email
        users = await self._list_all("/users", Page[User], params=params)
        # Filter here too, in case an appliance ignores a filter parameter.
        if tenant_id is not None:
            users = [user for user in users if user.tenant_id == tenant_id]
        if email is not None:
            users = [user for user in users if user.email.lower() == email.lower()]
        return users

    async def delete_user(self, user_id: int) -> None:
        """Delete a user; raises `DMSNotFoundError` when it is already gone."""
        await self._call("DELETE", "/users/{id}", path_params={"id": user_id})

    # Instance plans

    async def list_instance_plans(self) -> list[InstancePlan]:
        """List all instance plans (DMS returns a plain array, not a page)."""
        response = await self._call("GET", "/instancetype")
        return self._parse_with(response, _INSTANCE_PLANS)

    async def create_instance_plan(self, request: InstancePlanCreate) -> InstancePlan:
        """Create an instance plan. Never retried: on an error with `outcome_unknown`,
        look for the name with `list_instance_plans` before trying again."""
        response = await self._call("POST", "/instancetype", body=request)
        return self._parse(response, InstancePlan)

    async def update_instance_plan(self, plan_id: str, request: InstancePlanCreate) -> InstancePlan:
        """Replace the name, CPU and memory of plan `plan_id` (the id goes in the body)."""
        body = {**request.to_wire(), "id": plan_id}
        response = await self._call("PUT", "/instancetype", body=body)
        return self._parse(response, InstancePlan)

    async def delete_instance_plan(self, plan_id: str) -> None:
        """Delete an instance plan; raises `DMSNotFoundError` when it is already gone."""
        await self._call("DELETE", "/instancetype/{id}", path_params={"id": plan_id})

    # Templates and environments

    async def list_templates(self) -> list[Template]:
        """List every template (engine version), published or not."""
        return await self._list_all("/templates", Page[Template])

    async def list_environments(self, org_id: str) -> list[Environment]:
        """List the environments databases of `org_id` can be placed in."""
        return await self._list_all(
            "/environments/search/withOrgId",
            Page[Environment],
            org_id=org_id,
            params={"tenantId": org_id},
        )
