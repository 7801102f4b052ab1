"""The simulator's state and its persistence.

All records live in one `State` model. Route code changes it between awaits
(the app runs on one event loop, so no lock is needed) and then calls
`Store.save()`, which rewrites the state file atomically when `--state-file`
is set. The file also keeps the JWT signing key, so tokens survive a restart,
and the admin password of a CREATE_DB task until that task ends.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from pathlib import Path

from pydantic import BaseModel

from dms_simulator.config import SimulatorConfig
from dms_simulator.errors import not_found
from dms_simulator.passwords import hash_password, verify_password
from dms_simulator.records import (
    PROVIDER,
    PROVIDER_ORG,
    Backup,
    Database,
    Datastore,
    DatastoreList,
    Environment,
    Org,
    Plan,
    Task,
    Template,
    User,
    new_id,
)
from dms_simulator.seed import seed_templates
from dms_simulator.tls import make_database_ca_pem

logger = logging.getLogger("dms_simulator")

STATE_VERSION = 1


class State(BaseModel):
    """Everything the simulator stores."""

    version: int = STATE_VERSION
    signingKey: str
    nextUserId: int = 1
    # Bumping a generation invalidates every token issued before (see auth.py).
    tokenGeneration: int = 0
    tokenGenerationReason: str = "revoked"
    userTokenGenerations: dict[str, int] = {}
    userTokenReasons: dict[str, str] = {}
    # Logged-out token ids, with their expiry time (epoch seconds) for pruning.
    revokedTokens: dict[str, float] = {}
    orgs: dict[str, Org] = {}
    users: dict[str, User] = {}
    plans: dict[str, Plan] = {}
    templates: dict[str, Template] = {}
    environments: dict[str, Environment] = {}
    databases: dict[str, Database] = {}
    backups: dict[str, Backup] = {}
    tasks: dict[str, Task] = {}


class Store:
    """The state, with lookups that raise DMS errors, and its persistence."""

    def __init__(self, state: State, path: Path | None, config: SimulatorConfig) -> None:
        self.state = state
        self.path = path
        self.config = config

    @classmethod
    def open(cls, config: SimulatorConfig) -> Store:
        """Load the state file, or seed a fresh state; then make the provider admin
        match the configuration."""
        path = config.state_file
        if path is not None and path.exists():
            state = State.model_validate_json(path.read_text())
            logger.info("loaded state from %s", path)
        else:
            state = State(signingKey=secrets.token_urlsafe(48), templates=seed_templates())
        store = cls(state, path, config)
        store._ensure_provider_admin()
        store.save()
        return store

    def save(self) -> None:
        if self.path is None:
            return
        data = self.state.model_dump_json()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Write a sibling file and rename it over the old one, so that a crash
        # never leaves a half-written state file.
        handle, temporary = tempfile.mkstemp(prefix=".state-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    # Seeding -------------------------------------------------------------

    def _ensure_provider_admin(self) -> None:
        provider_org = self.provider_org()
        if provider_org is None:
            provider_org = Org(
                id=new_id(),
                companyName=self.config.provider_company_name,
                email=self.config.provider_email,
                instanceMode="FREE_MODE",
                orgType=PROVIDER_ORG,
                databaseCaPem=make_database_ca_pem(self.config.provider_company_name),
            )
            self.state.orgs[provider_org.id] = provider_org
        admin = next(
            (
                user
                for user in self.state.users.values()
                if user.tenantId == provider_org.id and PROVIDER in user.roles
            ),
            None,
        )
        password = self.config.provider_password.get_secret_value()
        if admin is None:
            admin = User(
                id=self.allocate_user_id(),
                firstName="Provider",
                lastName="Admin",
                email=self.config.provider_email,
                tenantId=provider_org.id,
                companyName=provider_org.companyName,
                roles=[PROVIDER],
                passwordHash=hash_password(password),
            )
            self.state.users[str(admin.id)] = admin
            return
        # The configuration wins over the state file for the seeded admin.
        admin.email = self.config.provider_email
        if not verify_password(password, admin.passwordHash):
            admin.passwordHash = hash_password(password)

    def allocate_user_id(self) -> int:
        user_id = self.state.nextUserId
        self.state.nextUserId += 1
        return user_id

    def add_environment(
        self,
        org: Org,
        name: str | None = None,
        datastores: list[str] | None = None,
        vc_host: str | None = None,
        vc_cluster_name: str | None = None,
    ) -> Environment:
        """Create an environment associated with `org`; the first datastore is the default."""
        count = sum(1 for env in self.state.environments.values() if env.tenantId == org.id)
        names = datastores or self.config.datastores
        environment = Environment(
            id=new_id(),
            name=name or f"env-{count + 1}",
            tenantId=org.id,
            vcHost=vc_host or "vcenter.simulated.invalid",
            vcClusterName=vc_cluster_name or f"cluster-{count + 1}",
            vcVmDatastores=DatastoreList(
                list=[
                    Datastore(
                        mor=f"datastore-{index + 1}", datastoreName=name, isDefault=index == 0
                    )
                    for index, name in enumerate(names)
                ]
            ),
        )
        self.state.environments[environment.id] = environment
        return environment

    # Lookups -------------------------------------------------------------

    def provider_org(self) -> Org | None:
        return next((org for org in self.state.orgs.values() if org.orgType == PROVIDER_ORG), None)

    def org(self, org_id: str) -> Org:
        org = self.state.orgs.get(org_id)
        if org is None:
            raise not_found("organization", org_id)
        return org

    def user_by_email(self, email: str) -> User | None:
        wanted = email.casefold()
        return next(
            (user for user in self.state.users.values() if user.email.casefold() == wanted), None
        )

    def database(self, database_id: str, tenant_id: str | None = None) -> Database:
        """Return a database; one of another org counts as not found."""
        database = self.state.databases.get(database_id)
        if database is None or (tenant_id is not None and database.tenantId != tenant_id):
            raise not_found("database", database_id)
        return database

    def task(self, task_id: str) -> Task:
        task = self.state.tasks.get(task_id)
        if task is None:
            raise not_found("task", task_id)
        return task

    def live_plan(self, plan_id: str) -> Plan | None:
        plan = self.state.plans.get(plan_id)
        if plan is None or plan.deleted:
            return None
        return plan
