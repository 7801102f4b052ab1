"""Builders of intents, observations and DMS payloads for the plan tests."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from dms_operator.models.database import DMSDatabaseSpec
from dms_operator.models.dms import CreateDatabaseRequest, Database, DbConfig, InstancePlan, Task
from dms_operator.reconcile.database_types import (
    DatabaseIntent,
    DatabaseObservation,
    PasswordOrigin,
)

ORG_ID = "11111111-1111-1111-1111-111111111111"
DB_ID = "22222222-2222-2222-2222-222222222222"
PASSWORD = "Secret12!"


def spec(**fields: Any) -> DMSDatabaseSpec:
    base: dict[str, Any] = {
        "credentialsSecretRef": {"name": "dms-login"},
        "engine": "Postgres",
        "version": "12",
    }
    base.update(fields)
    return DMSDatabaseSpec.model_validate(base)


def intent(spec_fields: dict[str, Any] | None = None, **fields: Any) -> DatabaseIntent:
    values: dict[str, Any] = {
        "namespace": "default",
        "name": "orders",
        "uid": "uid-1",
        "generation": 1,
        "spec": spec(**(spec_fields or {})),
        "instance_name": "orders",
        "database_name": "orders",
        "admin_username": "dbadmin",
        "port": 5432,
        "connection_secret_name": "orders-connection",
    }
    values.update(fields)
    return DatabaseIntent(**values)


def settled(spec_fields: dict[str, Any] | None = None, **fields: Any) -> DatabaseIntent:
    """An intent whose last reconcile found generation 1 Ready, with the database recorded."""
    values: dict[str, Any] = {
        "recorded_id": DB_ID,
        "recorded_org_id": ORG_ID,
        "observed_generation": 1,
        "ready_reason": "Available",
        "create_requested": True,
    }
    values.update(fields)
    return intent(spec_fields, **values)


def database(**fields: Any) -> Database:
    """A DMS database detail; `fields` are camelCase wire keys, merged one level deep."""
    data: dict[str, Any] = {
        "id": DB_ID,
        "instanceName": "orders",
        "tenantId": ORG_ID,
        "dbType": "POSTGRES",
        "version": "12.7.0",
        "status": "ONLINE",
        "fqdn": "orders.db.example",
        "dbInstanceConfig": {"port": 5432, "adminUser": "dbadmin", "dbName": "orders"},
        "hwConfig": {"hdDiskSizeGB": 60, "cpuCores": 2, "memoryGB": 4, "instancePlanId": None},
        "dbBackupConfig": {
            "numLocalBackupDays": 3,
            "numRemoteBackupDays": 6,
            "automatedBackupStartTime": "06:00",
        },
        "managedDbMaintenanceConfigDTO": {
            "maintenanceWindowStartDay": "SUNDAY",
            "maintenanceWindowStartTime": "02:00",
            "maintenanceWindowDuration": 2,
            "minorVersionUpgradeEnabled": True,
            "maintenanceWindowSelected": True,
        },
        "dbOptions": [{"key": "max_connections", "value": "100"}],
        "requireClientSsl": False,
    }
    for key, value in fields.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return Database.model_validate(data)


def task(status: str = "IN_PROGRESS", task_type: str = "CREATE_DB", **fields: Any) -> Task:
    data: dict[str, Any] = {
        "id": "task-1",
        "taskType": task_type,
        "status": status,
        "percent": 50,
        "dbDetails": {"id": DB_ID},
    }
    data.update(fields)
    return Task.model_validate(data)


def create_request() -> CreateDatabaseRequest:
    return CreateDatabaseRequest(
        environment_id="env-1",
        template_id="template-1",
        instance_name="orders",
        data_store_name="vsanDatastore",
        db_config=DbConfig(
            db_name="orders", admin_user="dbadmin", admin_password=SecretStr(PASSWORD)
        ),
    )


SECRET_BODY: dict[str, Any] = {"metadata": {"name": "orders-connection"}, "data": {}}


def observed(**fields: Any) -> DatabaseObservation:
    """An observation of an existing, up-to-date database with a known password."""
    values: dict[str, Any] = {
        "org_id": ORG_ID,
        "database": database(),
        "password": PASSWORD,
        "password_origin": PasswordOrigin.STORED,
        "connection_secret": SECRET_BODY,
        "connection_secret_stale": False,
        "connection_secret_complete": True,
    }
    values.update(fields)
    return DatabaseObservation(**values)


def missing(**fields: Any) -> DatabaseObservation:
    """An observation without a database: one must be created."""
    values: dict[str, Any] = {
        "database": None,
        "create_request": create_request(),
        "password_origin": PasswordOrigin.GENERATED,
        "connection_secret_stale": True,
        "connection_secret_complete": False,
    }
    values.update(fields)
    return observed(**values)


def plan(
    name: str = "small", plan_id: str = "plan-1", cpu: int = 2, memory: int = 4
) -> InstancePlan:
    return InstancePlan(id=plan_id, name=name, cpu=cpu, memory=memory)
