"""The pure parts of observing: the create request, the password choice, the intent."""

from __future__ import annotations

from typing import Any

import pytest

from dms_operator.models.dms import InstancePlan
from dms_operator.reconcile.database_intent import database_intent
from dms_operator.reconcile.database_observe import build_create_request, choose_password
from dms_operator.reconcile.database_types import PasswordOrigin
from dms_operator.reconcile.outcomes import Problem
from dms_operator.reconcile.passwords import satisfies_dms_rule
from tests.unit.reconcile.factories import PASSWORD, intent


def request_for(**spec_fields: Any) -> dict[str, Any]:
    plan = None
    if "instancePlan" in spec_fields:
        plan = InstancePlan(id="plan-1", name=spec_fields["instancePlan"], cpu=2, memory=4)
    request = build_create_request(
        intent(spec_fields),
        template_id="template-1",
        environment_id="env-1",
        datastore_name="vsanDatastore",
        plan=plan,
        password=PASSWORD,
    )
    return request.to_wire()


def test_minimal_request_uses_template_defaults() -> None:
    wire = request_for()

    assert "provisioningConfig" not in wire
    assert wire["dbConfig"] == {
        "dbName": "orders",
        "port": 5432,
        "adminUser": "dbadmin",
        "adminPassword": PASSWORD,
        "monitoringType": "NORMAL",
    }
    assert wire["requireClientSsl"] is False
    assert "dbOptions" not in wire


def test_sizing_request() -> None:
    wire = request_for(cpu=4, memoryGB=8, storageGB=100)

    assert wire["provisioningConfig"]["hwConfig"] == {
        "cpuCores": 4,
        "memoryGB": 8,
        "hdDiskSizeGB": 100,
    }


def test_plan_request() -> None:
    wire = request_for(instancePlan="small", storageGB=80)

    assert wire["provisioningConfig"]["hwConfig"] == {
        "instancePlanId": "plan-1",
        "hdDiskSizeGB": 80,
    }


def test_settings_in_request() -> None:
    wire = request_for(
        backup={"localRetentionDays": 2, "startTime": "01:00"},
        maintenanceWindow={"day": "Tuesday", "durationHours": 3},
        dbOptions={"max_connections": "200"},
        monitoring="Enhanced",
    )

    assert wire["dbBackupConfig"] == {"numLocalBackupDays": 2, "automatedBackupStartTime": "01:00"}
    assert wire["dbMaintenanceConfig"] == {
        "maintenanceWindowStartDay": "TUESDAY",
        "maintenanceWindowDuration": "3",
        "maintenanceWindowSelected": True,
    }
    assert wire["dbOptions"] == [{"key": "max_connections", "value": "200"}]
    assert wire["dbConfig"]["monitoringType"] == "ENHANCED"


def test_password_not_in_request_repr() -> None:
    request = build_create_request(
        intent(),
        template_id="t",
        environment_id="e",
        datastore_name="d",
        plan=None,
        password=PASSWORD,
    )

    assert PASSWORD not in repr(request)


def test_new_database_gets_generated_password() -> None:
    password, origin, change = choose_password(exists=False, user=None, stored=None)

    assert password is not None
    assert satisfies_dms_rule(password)
    assert origin is PasswordOrigin.GENERATED
    assert change is False


def test_retry_before_creation_reuses_stored_password() -> None:
    assert choose_password(exists=False, user=None, stored=PASSWORD) == (
        PASSWORD,
        PasswordOrigin.STORED,
        False,
    )


def test_user_password_wins_before_creation() -> None:
    assert choose_password(exists=False, user="Other123!", stored=PASSWORD) == (
        "Other123!",
        PasswordOrigin.USER,
        False,
    )


def test_stored_password_wins_after_creation() -> None:
    assert choose_password(exists=True, user="Other123!", stored=PASSWORD) == (
        PASSWORD,
        PasswordOrigin.STORED,
        True,
    )


def test_adopted_database_uses_user_password() -> None:
    assert choose_password(exists=True, user="Other123!", stored=None) == (
        "Other123!",
        PasswordOrigin.USER,
        False,
    )


def test_adopted_database_without_password_is_unknown() -> None:
    assert choose_password(exists=True, user=None, stored=None) == (
        None,
        PasswordOrigin.UNKNOWN,
        False,
    )


def body(**spec_fields: Any) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "orders-db",
            "namespace": "shop",
            "uid": "uid-9",
            "generation": 3,
            "annotations": {
                "dms.tanzu.community/paused": "true",
                "dms.tanzu.community/create-requested-at": "2026-01-01T00:00:00Z",
            },
        },
        "spec": {
            "credentialsSecretRef": {"name": "login"},
            "engine": "MySQL",
            "version": "8",
            **spec_fields,
        },
        "status": {
            "id": "db-1",
            "organizationId": "org-1",
            "observedGeneration": 2,
            "task": {"id": "t-1", "type": "SCALE_DB_CONFIG", "percent": 50},
            "conditions": [
                {"type": "Ready", "status": "True", "reason": "Available", "message": "ok"}
            ],
        },
    }


def test_intent_applies_defaults_and_reads_status() -> None:
    parsed = database_intent(body())

    assert parsed.instance_name == "orders-db"
    assert parsed.database_name == "orders_db"
    assert parsed.port == 3306
    assert parsed.connection_secret_name == "orders-db-connection"
    assert parsed.paused is True
    assert parsed.create_requested is True
    assert parsed.recorded_id == "db-1"
    assert parsed.recorded_task is not None
    assert parsed.recorded_task.id == "t-1"
    assert parsed.ready_reason == "Available"
    assert parsed.observed_generation == 2


def test_invalid_spec_names_field() -> None:
    with pytest.raises(Problem) as raised:
        database_intent(body(cpu=2, instancePlan="small"))

    assert raised.value.reason == "InvalidSpec"
    assert "spec.instancePlan" in raised.value.message
