"""The observe step of a DMSDatabase reconcile: read DMS and Kubernetes, write nothing.

Reads, in order: the organization id, the recorded task, the database (by the recorded
id, else by instance name), the instance plan, the connection Secret and the admin
password. Only when the database must be created does it also read the templates and
environments and build the create request. Only when the database exists does it read
the organization's database CA. Names that do not resolve raise permanent problems
(see `templates`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr

from dms_operator.clients.dms import DMSError, DMSNotFoundError, DMSSession
from dms_operator.clients.kube import KubeClient, KubeError, KubeObject
from dms_operator.models.common import ORGANIZATION_PLURAL
from dms_operator.models.conditions import Reason
from dms_operator.models.database import Monitoring
from dms_operator.models.dms import (
    BackupConfig,
    CreateDatabaseRequest,
    Database,
    DbConfig,
    DbOption,
    HwConfig,
    InstancePlan,
    MaintenanceConfig,
    ProvisioningConfig,
    Task,
)
from dms_operator.reconcile.connection_secret import (
    ConnectionDetails,
    Ownership,
    connection_data,
    decode,
    foreign_secret_problem,
    needs_write,
    ownership,
    secret_body,
    stored_password,
)
from dms_operator.reconcile.database_types import (
    DatabaseIntent,
    DatabaseObservation,
    PasswordOrigin,
)
from dms_operator.reconcile.outcomes import (
    Problem,
    call_dms,
    problem_from_dms_error,
    transient,
)
from dms_operator.reconcile.passwords import generate_password, satisfies_dms_rule
from dms_operator.reconcile.templates import (
    resolve_datastore,
    resolve_environment,
    resolve_plan,
    resolve_template,
)


async def organization_from_spec(
    kube: KubeClient, session: DMSSession, intent: DatabaseIntent
) -> str:
    """Return the organization id the spec names: the id, the referenced
    DMSOrganization's `status.id`, or the login's only organization."""
    spec = intent.spec
    if spec.organization_id is not None:
        return spec.organization_id
    if spec.organization_ref is not None:
        name = spec.organization_ref.name
        organization = await kube.read_resource(intent.namespace, ORGANIZATION_PLURAL, name)
        if organization is None:
            raise transient(
                Reason.ORGANIZATION_NOT_FOUND,
                f"DMSOrganization {name!r} (spec.organizationRef.name) not found in namespace "
                f"{intent.namespace}; create a DMSOrganization of that name in this namespace, "
                "or correct spec.organizationRef.name",
            )
        org_id = (organization.get("status") or {}).get("id")
        if not org_id:
            raise transient(
                Reason.ORGANIZATION_NOT_READY,
                f"DMSOrganization {name!r} has no DMS organization id yet; waiting for it",
            )
        return str(org_id)
    return await call_dms("finding the DMS login's organization", session.default_org_id())


async def _organization(
    kube: KubeClient, session: DMSSession, intent: DatabaseIntent
) -> tuple[str, str | None]:
    """Return the organization to work in, and the one the spec names if it differs.

    A database that exists stays in the organization recorded in status, because DMS
    cannot move a database. Then the spec's organization is only compared, and failing
    to resolve it does not stop the reconcile.
    """
    if intent.recorded_id is None or intent.recorded_org_id is None:
        return await organization_from_spec(kube, session, intent), None
    try:
        wanted = await organization_from_spec(kube, session, intent)
    except (Problem, KubeError):
        return intent.recorded_org_id, None
    return intent.recorded_org_id, (wanted if wanted != intent.recorded_org_id else None)


async def _recorded_task(session: DMSSession, org_id: str, intent: DatabaseIntent) -> Task | None:
    if intent.recorded_task is None:
        return None
    try:
        return await session.get_task(org_id, intent.recorded_task.id)
    except DMSNotFoundError:
        return None
    except DMSError as error:
        raise problem_from_dms_error(
            error, f"reading DMS task {intent.recorded_task.id}"
        ) from error


async def find_database(
    session: DMSSession, org_id: str, intent: DatabaseIntent, task: Task | None
) -> tuple[Database | None, str | None]:
    """Return the database (by recorded id, by the create task, else by instance name)
    and the recorded id if DMS reports it as not found."""
    candidate = intent.recorded_id
    if candidate is None and task is not None and task.task_type == "CREATE_DB":
        details = task.db_details.id if task.db_details is not None else None
        target = task.target_details.id if task.target_details is not None else None
        candidate = details or target
    missing: str | None = None
    if candidate is not None:
        try:
            database = await session.get_database(org_id, candidate)
        except DMSNotFoundError:
            if candidate == intent.recorded_id:
                missing = candidate
        except DMSError as error:
            raise problem_from_dms_error(error, f"reading DMS database {candidate}") from error
        else:
            if not database.deleted:
                return database, None
            missing = candidate if candidate == intent.recorded_id else None
    summaries = await call_dms(
        f"listing DMS databases named {intent.instance_name}",
        session.list_databases(org_id, instance_name=intent.instance_name),
    )
    for summary in summaries:
        if summary.instance_name != intent.instance_name or summary.id == missing:
            continue
        try:
            database = await session.get_database(org_id, summary.id)
        except DMSNotFoundError:
            continue
        except DMSError as error:
            raise problem_from_dms_error(error, f"reading DMS database {summary.id}") from error
        if not database.deleted:
            return database, missing
    return None, missing


async def read_admin_password(kube: KubeClient, intent: DatabaseIntent) -> str | None:
    """Return the password from spec.adminPasswordSecretRef, or None when not set."""
    reference = intent.spec.admin_password_secret_ref
    if reference is None:
        return None
    key = reference.effective_key()
    secret = await kube.read_secret(intent.namespace, reference.name)
    if secret is None:
        raise transient(
            Reason.CREDENTIALS_NOT_FOUND,
            f"admin password Secret {reference.name!r} (spec.adminPasswordSecretRef) not found "
            f"in namespace {intent.namespace}",
        )
    password = decode(secret.get("data")).get(key, "").strip()
    if not password:
        raise transient(
            Reason.CREDENTIALS_INVALID,
            f"admin password Secret {reference.name!r} has no key {key!r}",
        )
    if not satisfies_dms_rule(password):
        raise transient(
            Reason.INVALID_SPEC,
            f"the password in Secret {reference.name!r} key {key!r} does not follow the DMS "
            "rule: 8 to 20 characters from A-Z a-z 0-9 ?!@#$%^&*, with at least one upper-case "
            "letter, one lower-case letter, one digit and one of ?!@#$%^&*",
        )
    return password


def choose_password(
    *, exists: bool, user: str | None, stored: str | None
) -> tuple[str | None, PasswordOrigin, bool]:
    """Pick the admin password; return it, its origin, and whether a change was requested.

    Before creation the user's password wins, then a stored one (from an earlier attempt
    that may have reached DMS), else a new one. After creation the stored password wins,
    because it is the one DMS has; a different user password is a change DMS cannot make.
    """
    if not exists:
        if user is not None:
            return user, PasswordOrigin.USER, False
        if stored is not None:
            return stored, PasswordOrigin.STORED, False
        return generate_password(), PasswordOrigin.GENERATED, False
    if stored is not None:
        return stored, PasswordOrigin.STORED, user is not None and user != stored
    if user is not None:
        return user, PasswordOrigin.USER, False
    return None, PasswordOrigin.UNKNOWN, False


def build_create_request(
    intent: DatabaseIntent,
    *,
    template_id: str,
    environment_id: str,
    datastore_name: str,
    plan: InstancePlan | None,
    password: str,
) -> CreateDatabaseRequest:
    """Return the DMS create request for the intent. Pure."""
    spec = intent.spec

    hw: HwConfig | None = None
    if plan is not None:
        hw = HwConfig(instance_plan_id=plan.id, hd_disk_size_gb=spec.storage_gb)
    elif spec.cpu is not None or spec.memory_gb is not None or spec.storage_gb is not None:
        hw = HwConfig(cpu_cores=spec.cpu, memory_gb=spec.memory_gb, hd_disk_size_gb=spec.storage_gb)

    backup = None
    if spec.backup is not None:
        backup = BackupConfig(
            num_local_backup_days=spec.backup.local_retention_days,
            num_remote_backup_days=spec.backup.remote_retention_days,
            automated_backup_start_time=spec.backup.start_time,
        )

    maintenance = None
    window = spec.maintenance_window
    if window is not None:
        maintenance = MaintenanceConfig(
            maintenance_window_start_day=window.day.dms_value if window.day else None,
            maintenance_window_start_time=window.start_time,
            maintenance_window_duration=window.duration_hours,
            minor_version_upgrade_enabled=window.minor_version_upgrades,
            maintenance_window_selected=True,
        )

    options = spec.effective_db_options()
    monitoring: Literal["NORMAL", "ENHANCED"] = (
        "ENHANCED" if spec.effective_monitoring() is Monitoring.ENHANCED else "NORMAL"
    )
    return CreateDatabaseRequest(
        environment_id=environment_id,
        template_id=template_id,
        instance_name=intent.instance_name,
        data_store_name=datastore_name,
        provisioning_config=ProvisioningConfig(hw_config=hw) if hw is not None else None,
        db_config=DbConfig(
            db_name=intent.database_name,
            port=intent.port,
            admin_user=intent.admin_username,
            admin_password=SecretStr(password),
            monitoring_type=monitoring,
        ),
        db_backup_config=backup,
        db_maintenance_config=maintenance,
        require_client_ssl=spec.effective_require_client_ssl(),
        db_options=[DbOption(key=key, value=value) for key, value in sorted(options.items())]
        or None,
    )


async def _create_request(
    session: DMSSession,
    org_id: str,
    intent: DatabaseIntent,
    plan: InstancePlan | None,
    password: str,
) -> CreateDatabaseRequest:
    templates = await call_dms("listing DMS templates", session.list_templates())
    template = resolve_template(templates, intent.engine, intent.spec.version)
    environments = await call_dms(
        f"listing the environments of organization {org_id}", session.list_environments(org_id)
    )
    environment = resolve_environment(environments, intent.spec.environment_id, org_id)
    datastore = resolve_datastore(environment, intent.spec.data_store_name)
    return build_create_request(
        intent,
        template_id=template.logical_build_id,
        environment_id=environment.id,
        datastore_name=datastore.datastore_name,
        plan=plan,
        password=password,
    )


def connection_details(
    intent: DatabaseIntent, database: Database | None, password: str, ca_pem: str | None
) -> ConnectionDetails:
    """Return the connection details: DMS's values where it has them, else the spec's."""
    config = database.db_instance_config if database is not None else None
    return ConnectionDetails(
        engine=intent.engine,
        host=database.connection_host if database is not None else None,
        port=(database.port if database is not None else None) or intent.port,
        database=(config.db_name if config is not None else None) or intent.database_name,
        username=(config.admin_user if config is not None else None) or intent.admin_username,
        password=password,
        ca_pem=ca_pem,
    )


async def observe_database(
    kube: KubeClient, session: DMSSession, intent: DatabaseIntent
) -> DatabaseObservation:
    """Read everything the plan needs; raise a `Problem` for what blocks the reconcile."""
    org_id, moved_to = await _organization(kube, session, intent)
    task = await _recorded_task(session, org_id, intent)
    database, missing_id = await find_database(session, org_id, intent, task)

    plan: InstancePlan | None = None
    if intent.spec.instance_plan is not None:
        plans = await call_dms("listing DMS instance plans", session.list_instance_plans())
        plan = resolve_plan(plans, intent.spec.instance_plan)

    existing: KubeObject | None = await kube.read_secret(
        intent.namespace, intent.connection_secret_name
    )
    if ownership(existing, intent.owner) is Ownership.FOREIGN:
        raise foreign_secret_problem(intent.connection_secret_name, intent.namespace)
    user_password = await read_admin_password(kube, intent)
    password, origin, change_requested = choose_password(
        exists=database is not None,
        user=user_password,
        stored=stored_password(existing, intent.owner),
    )

    task_running = task is not None and task.is_running
    create_request = None
    if database is None and not task_running and password is not None:
        create_request = await _create_request(session, org_id, intent, plan, password)

    ca_pem = None
    if database is not None:
        ca_pem = await call_dms(
            f"downloading the database CA of organization {org_id}",
            session.download_database_ca(org_id),
        )

    desired = None
    stale = False
    complete = False
    if password is not None:
        details = connection_details(intent, database, password, ca_pem)
        desired = secret_body(
            intent.namespace,
            intent.connection_secret_name,
            intent.owner,
            intent.engine,
            connection_data(details),
        )
        stale = needs_write(existing, intent.owner, desired)
        complete = details.host is not None
    return DatabaseObservation(
        org_id=org_id,
        database=database,
        missing_id=missing_id,
        task=task,
        create_request=create_request,
        instance_plan=plan,
        password=password,
        password_origin=origin,
        password_change_requested=change_requested,
        connection_secret=desired,
        connection_secret_stale=stale,
        connection_secret_complete=complete,
        moved_to_org_id=moved_to,
    )
