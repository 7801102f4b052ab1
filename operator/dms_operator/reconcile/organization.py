"""The DMSOrganization reconcile and deletion, with the Provider Administrator login.

The organization is found by its recorded id, else by `companyName`. One found by name
is adopted only when this resource requested its creation (the create-request
annotation) or the adopt annotation allows it. Creating an organization is synchronous
in DMS, so one reconcile creates it, records its id, and continues with the admin user.

The optional admin user gets a generated password. The operator writes the user's
credentials Secret first and creates the user second, so that a crash in between never
loses the password: the next reconcile finds the Secret and creates the user with the
password in it. The Secret is labelled as the operator's but has no owner reference:
DMSDatabases log in with it, and the user stays in DMS when the resource goes, so the
Secret stays too.

Deleting a DMSOrganization leaves the organization in DMS (DMS cannot delete one) and
posts the Event `OrganizationRetained`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr, ValidationError

from dms_operator.clients.dms import DMSNotFoundError, DMSSession
from dms_operator.clients.dms.errors import DMSError
from dms_operator.clients.kube import KubeClient, KubeConflictError, KubeError, KubeObject
from dms_operator.models.common import (
    CREATE_REQUESTED_ANNOTATION,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    ORGANIZATION_LABEL,
    ORGANIZATION_PLURAL,
    ConditionStatus,
    describe_validation_error,
    is_adoption_allowed,
    is_paused,
)
from dms_operator.models.conditions import Reason, format_time
from dms_operator.models.credentials import PASSWORD_KEY, DMSCredentials
from dms_operator.models.dms import OrgRole, Tenant, UserCreate
from dms_operator.models.organization import DMSOrganizationSpec, InstanceMode
from dms_operator.reconcile.connection_secret import decode
from dms_operator.reconcile.context import EventSink, OperatorContext
from dms_operator.reconcile.credentials import (
    protect_credentials,
    read_credentials,
    release_credentials,
)
from dms_operator.reconcile.organization_plan import (
    OrganizationIntent,
    admin_secret_body,
    admin_user_problem,
    changed_org_fields,
    check_adoption,
    create_request,
    find_by_company_name,
    is_own_admin_secret,
    name_differences,
    update_request,
)
from dms_operator.reconcile.outcomes import (
    Problem,
    call_dms,
    name_credentials_secret,
    permanent,
    problem_from_dms_error,
    raise_for_problem,
    transient,
)
from dms_operator.reconcile.passwords import generate_password
from dms_operator.reconcile.status import (
    NORMAL,
    Condition,
    PlannedEvent,
    keep_recent_sync_time,
    post_events,
    report_problem,
    synced_condition,
    transition_events,
    with_conditions,
    write_status,
)

_log = logging.getLogger(__name__)


def organization_intent(body: Mapping[str, Any]) -> OrganizationIntent:
    """Return the intent of a DMSOrganization body; raise `InvalidSpec` for a bad spec."""
    metadata = body.get("metadata") or {}
    try:
        spec = DMSOrganizationSpec.model_validate(body.get("spec") or {})
    except ValidationError as error:
        raise permanent(Reason.INVALID_SPEC, describe_validation_error(error)) from None
    annotations: Mapping[str, str] = metadata.get("annotations") or {}
    status: Mapping[str, Any] = body.get("status") or {}
    name = str(metadata.get("name"))
    return OrganizationIntent(
        namespace=str(metadata.get("namespace")),
        name=name,
        uid=str(metadata.get("uid")),
        generation=int(metadata.get("generation") or 0),
        spec=spec,
        company_name=spec.effective_company_name(name),
        paused=is_paused(annotations),
        adopt=is_adoption_allowed(annotations),
        create_requested=bool(annotations.get(CREATE_REQUESTED_ANNOTATION)),
        recorded_id=status.get("id") or None,
    )


async def _find_organization(session: DMSSession, intent: OrganizationIntent) -> Tenant | None:
    if intent.recorded_id is not None:
        try:
            tenant = await session.get_org(intent.recorded_id)
        except DMSNotFoundError:
            tenant = None
        except DMSError as error:
            raise problem_from_dms_error(
                error, f"reading DMS organization {intent.recorded_id}"
            ) from error
        if tenant is not None and not tenant.deleted:
            return tenant
    tenants = await call_dms("listing DMS organizations", session.list_orgs())
    tenant = find_by_company_name(tenants, intent.company_name)
    if tenant is not None and tenant.id != intent.recorded_id:
        check_adoption(intent, tenant)
    return tenant


class _Outcome:
    """The Events, pending changes and findings of one organization reconcile."""

    def __init__(self) -> None:
        self.events: list[PlannedEvent] = []
        self.pending: list[str] = []
        self.unsupported: list[str] = []
        self.admin_user_id: int | None = None


async def _stored_admin_password(
    kube: KubeClient, intent: OrganizationIntent, secret: KubeObject | None
) -> str | None:
    """Return the admin password from the spec's Secret, else from another Secret the
    operator wrote for this DMSOrganization (spec.adminUser.credentialsSecretName changed)."""
    if secret is not None:
        return decode(secret.get("data")).get(PASSWORD_KEY) or None
    selector = f"{MANAGED_BY_LABEL}={MANAGED_BY_VALUE},{ORGANIZATION_LABEL}={intent.name}"
    for other in await kube.list_secrets(intent.namespace, selector):
        password = decode(other.get("data")).get(PASSWORD_KEY)
        if password:
            return password
    return None


async def _write_admin_secret(
    kube: KubeClient, namespace: str, existing: KubeObject | None, desired: dict[str, Any]
) -> bool:
    if existing is not None:
        labels = (existing.get("metadata") or {}).get("labels") or {}
        same_labels = all(
            labels.get(key) == value for key, value in desired["metadata"]["labels"].items()
        )
        if same_labels and existing.get("data") == desired["data"]:
            return False
    try:
        if existing is None:
            await kube.create_secret(namespace, desired)
        else:
            body = dict(desired)
            metadata = dict(existing.get("metadata") or {})
            metadata["labels"] = {**(metadata.get("labels") or {}), **desired["metadata"]["labels"]}
            body["metadata"] = metadata
            await kube.replace_secret(namespace, body)
    except KubeConflictError:
        raise transient(
            Reason.RECONCILE_ERROR,
            f"Secret {desired['metadata']['name']!r} changed while the operator wrote it; retrying",
        ) from None
    return True


async def _ensure_admin_user(
    kube: KubeClient,
    session: DMSSession,
    intent: OrganizationIntent,
    org_id: str,
    provider: DMSCredentials,
    provider_secret: KubeObject,
    outcome: _Outcome,
) -> None:
    admin = intent.spec.admin_user
    if admin is None:
        return
    users = await call_dms(
        f"looking up DMS user {admin.email}", session.list_users(email=admin.email)
    )
    admin_user_problem(intent, org_id, users)
    user = next((item for item in users if item.tenant_id in (None, org_id)), None)

    secret_name = admin.credentials_secret_name
    existing = await kube.read_secret(intent.namespace, secret_name)
    if existing is not None and not is_own_admin_secret(existing, intent):
        raise permanent(
            Reason.SECRET_CONFLICT,
            f"Secret {secret_name!r} in namespace {intent.namespace} exists and was not written "
            "for this DMSOrganization; delete it or choose another "
            "spec.adminUser.credentialsSecretName",
        )
    password = await _stored_admin_password(kube, intent, existing)
    if user is not None and password is None:
        raise permanent(
            Reason.PASSWORD_UNKNOWN,
            f"DMS user {admin.email} already exists and the operator does not know its password; "
            "delete the user in DMS or choose another spec.adminUser.email",
        )
    password = password or generate_password()
    desired = admin_secret_body(
        intent, secret_name, admin.email, password, provider, provider_secret.get("data") or {}
    )
    if intent.paused:
        if user is None:
            outcome.pending.append(f"create DMS user {admin.email}")
        return
    # The Secret comes first: a crash after it still leaves the password on record.
    if await _write_admin_secret(kube, intent.namespace, existing, desired):
        outcome.events.append(
            PlannedEvent(
                NORMAL,
                "CredentialsWritten",
                f"wrote the credentials of DMS user {admin.email} to Secret {secret_name}",
            )
        )
    if user is None:
        request = UserCreate(
            first_name=admin.first_name,
            last_name=admin.last_name,
            email=admin.email,
            password=SecretStr(password),
            tenant_id=org_id,
            roles=[OrgRole.ORG_ADMIN.value],
        )
        user = await call_dms(f"creating DMS user {admin.email}", session.create_user(request))
        outcome.events.append(
            PlannedEvent(
                NORMAL, "AdminUserCreated", f"created ORG_ADMIN user {admin.email} ({user.id})"
            )
        )
    outcome.admin_user_id = user.id
    outcome.unsupported.extend(name_differences(intent, user))


async def _reconcile(
    context: OperatorContext, intent: OrganizationIntent, outcome: _Outcome
) -> Tenant | None:
    credentials, secret = await read_credentials(
        context.kube, intent.namespace, intent.spec.credentials_secret_ref.name
    )
    await protect_credentials(context.kube, intent.namespace, secret)
    session = context.pool.session_for(credentials)
    tenant = await _find_organization(session, intent)
    if tenant is None:
        if intent.paused:
            outcome.pending.append(f"create organization {intent.company_name}")
            return None
        if not intent.create_requested:
            stamp = format_time(datetime.now(UTC))
            patch = {"metadata": {"annotations": {CREATE_REQUESTED_ANNOTATION: stamp}}}
            await context.kube.merge_patch_resource(
                intent.namespace, ORGANIZATION_PLURAL, intent.name, patch
            )
        tenant = await call_dms(
            f"creating DMS organization {intent.company_name}",
            session.create_org(create_request(intent)),
        )
        # Recorded at once, so that a crash before the end of this reconcile keeps the id.
        await context.kube.patch_status(
            intent.namespace, ORGANIZATION_PLURAL, intent.name, {"id": tenant.id}
        )
        outcome.events.append(
            PlannedEvent(
                NORMAL, "Created", f"created DMS organization {tenant.company_name} ({tenant.id})"
            )
        )
    else:
        update = update_request(intent, tenant)
        if update is not None:
            fields = ", ".join(changed_org_fields(update))
            if intent.paused:
                outcome.pending.append(f"update {fields}")
            else:
                tenant = await call_dms(
                    f"updating DMS organization {tenant.id}", session.update_org(tenant.id, update)
                )
                outcome.events.append(
                    PlannedEvent(
                        NORMAL, "Updated", f"updated {fields} of DMS organization {tenant.id}"
                    )
                )
    await _ensure_admin_user(context.kube, session, intent, tenant.id, credentials, secret, outcome)
    return tenant


def _instance_mode(tenant: Tenant) -> str | None:
    try:
        return InstanceMode.from_dms_value(tenant.instance_mode).value
    except ValueError:
        return None


def organization_status(
    old: Mapping[str, Any],
    intent: OrganizationIntent,
    tenant: Tenant | None,
    outcome: _Outcome,
    now: datetime,
) -> dict[str, Any]:
    """Return the status after a successful reconcile."""
    status = dict(old)
    if tenant is not None:
        status["id"] = tenant.id
        status["companyName"] = tenant.company_name
        status["instanceMode"] = _instance_mode(tenant)
    if intent.spec.admin_user is None:
        status["adminUserId"] = None
    elif outcome.admin_user_id is not None:
        status["adminUserId"] = outcome.admin_user_id
    status["lastSyncTime"] = format_time(now)
    if outcome.pending:
        ready = Condition(
            ConditionStatus.FALSE,
            Reason.PAUSED,
            f"reconciling is paused; pending: {', '.join(outcome.pending)}",
        )
    elif tenant is None:
        ready = Condition(
            ConditionStatus.FALSE,
            Reason.PAUSED,
            f"organization {intent.company_name} is not created while reconciling is paused",
        )
    else:
        ready = Condition(
            ConditionStatus.TRUE,
            Reason.AVAILABLE,
            f"organization {tenant.company_name} exists in DMS and matches the spec",
        )
    if intent.paused:
        synced = Condition(
            ConditionStatus.FALSE,
            Reason.PAUSED,
            "reconciling is paused by the annotation dms.tanzu.community/paused; "
            "the operator makes no changes",
        )
    elif outcome.unsupported:
        synced = Condition(
            ConditionStatus.FALSE, Reason.UNSUPPORTED_CHANGE, "; ".join(outcome.unsupported)
        )
    else:
        synced = synced_condition()
    return with_conditions(status, ready, synced, intent.generation, now)


async def reconcile_organization(
    context: OperatorContext, body: Mapping[str, Any], *, retry: int, events: EventSink
) -> None:
    """Bring one DMSOrganization's organization and admin user to its spec."""
    old = dict(body.get("status") or {})
    outcome = _Outcome()
    try:
        intent = organization_intent(body)
        tenant = await _reconcile(context, intent, outcome)
    except KubeError as error:
        problem = transient(Reason.RECONCILE_ERROR, str(error))
        post_events(events, outcome.events)
        await report_problem(context.kube, body, problem, events, ORGANIZATION_PLURAL)
        raise_for_problem(problem, context.settings, retry)
        return
    except Problem as caught:
        problem = name_credentials_secret(caught, body)
        post_events(events, outcome.events)
        await report_problem(context.kube, body, problem, events, ORGANIZATION_PLURAL)
        raise_for_problem(problem, context.settings, retry)
        return
    new = organization_status(old, intent, tenant, outcome, datetime.now(UTC))
    new = keep_recent_sync_time(old, new, context.settings.status_sync_refresh_seconds)
    await write_status(context.kube, intent.namespace, ORGANIZATION_PLURAL, intent.name, old, new)
    post_events(events, [*outcome.events, *transition_events(old, new)])


async def delete_organization_resource(
    context: OperatorContext, body: Mapping[str, Any], *, events: EventSink
) -> None:
    """Leave the organization in DMS, say so, and release the credentials Secret."""
    metadata = body.get("metadata") or {}
    namespace = str(metadata.get("namespace"))
    status: Mapping[str, Any] = body.get("status") or {}
    spec: Mapping[str, Any] = body.get("spec") or {}
    org_id = status.get("id")
    if org_id:
        message = (
            f"DMS organization {status.get('companyName') or ''} ({org_id}) stays in DMS, which "
            "cannot delete organizations"
        )
        admin = spec.get("adminUser") or {}
        if admin.get("credentialsSecretName"):
            message += f"; the admin credentials Secret {admin['credentialsSecretName']} is kept"
        events(NORMAL, "OrganizationRetained", " ".join(message.split()))
    credentials_name = (spec.get("credentialsSecretRef") or {}).get("name")
    if credentials_name:
        await release_credentials(
            context.kube, namespace, str(credentials_name), ignore_uid=str(metadata.get("uid"))
        )
