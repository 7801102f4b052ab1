"""DMSDatabase spec parsing, defaults, validation messages and status patches."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from dms_operator.models.common import DeletionPolicy, describe_validation_error
from dms_operator.models.database import (
    DMSDatabaseSpec,
    DMSDatabaseStatus,
    Engine,
    Monitoring,
    PowerState,
    TaskStatus,
    Weekday,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MINIMAL: dict[str, Any] = {
    "credentialsSecretRef": {"name": "acme-dms-admin"},
    "engine": "Postgres",
    "version": "12",
}


def parse(**fields: Any) -> DMSDatabaseSpec:
    return DMSDatabaseSpec.model_validate({**MINIMAL, **fields})


def error_for(**fields: Any) -> str:
    with pytest.raises(ValidationError) as raised:
        parse(**fields)
    return describe_validation_error(raised.value)


def example_documents(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((EXAMPLES / name).read_text()) if doc]


@pytest.mark.parametrize("name", ["postgres.yaml", "mysql.yaml"])
def test_examples_parse(name: str) -> None:
    (document,) = example_documents(name)

    spec = DMSDatabaseSpec.model_validate(document["spec"])

    assert document["kind"] == "DMSDatabase"
    assert (
        spec.effective_instance_name(document["metadata"]["name"]) == document["metadata"]["name"]
    )


def test_minimal_spec_defaults() -> None:
    spec = parse()

    assert spec.effective_instance_name("orders-pg") == "orders-pg"
    assert spec.effective_database_name("orders-pg") == "orders_pg"
    assert spec.effective_admin_username() == "dbadmin"
    assert spec.effective_port() == 5432
    assert spec.effective_monitoring() is Monitoring.NORMAL
    assert spec.effective_require_client_ssl() is False
    assert spec.effective_power_state() is PowerState.ON
    assert spec.effective_deletion_policy() is DeletionPolicy.RETAIN
    assert spec.effective_db_options() == {}
    assert spec.effective_connection_secret_name("orders-pg") == "orders-pg-connection"


def test_database_name_follows_instance_name() -> None:
    spec = parse(instanceName="orders-main-db")

    assert spec.effective_database_name("ignored") == "orders_main_db"


def test_explicit_values_win_over_defaults() -> None:
    spec = parse(
        engine="MySQL",
        version="8.0",
        instanceName="shop",
        databaseName="shopdb",
        adminUsername="owner",
        port=3307,
        monitoring="Enhanced",
        requireClientSsl=True,
        powerState="Off",
        deletionPolicy="Delete",
        dbOptions={"max_connections": "200"},
        writeConnectionSecretToRef={"name": "shop-db"},
    )

    assert spec.effective_instance_name("other") == "shop"
    assert spec.effective_database_name("other") == "shopdb"
    assert spec.effective_admin_username() == "owner"
    assert spec.effective_port() == 3307
    assert spec.effective_monitoring() is Monitoring.ENHANCED
    assert spec.effective_require_client_ssl() is True
    assert spec.effective_power_state() is PowerState.OFF
    assert spec.effective_deletion_policy() is DeletionPolicy.DELETE
    assert spec.effective_db_options() == {"max_connections": "200"}
    assert spec.effective_connection_secret_name("other") == "shop-db"


def test_connection_secret_name_length() -> None:
    spec = parse()

    assert spec.effective_connection_secret_name("a" * 242) == "a" * 242 + "-connection"
    with pytest.raises(ValueError, match=r"set spec\.writeConnectionSecretToRef\.name"):
        spec.effective_connection_secret_name("a" * 243)


def test_mysql_default_port() -> None:
    assert parse(engine="MySQL").effective_port() == 3306


def test_engine_maps_to_dms_values() -> None:
    assert Engine.POSTGRES.dms_service_type == "POSTGRES"
    assert Engine.MYSQL.dms_service_type == "MYSQL"
    assert Engine.POSTGRES.binding_type == "postgresql"
    assert Engine.MYSQL.binding_type == "mysql"
    assert Monitoring.ENHANCED.dms_value == "ENHANCED"
    assert Weekday.SUNDAY.dms_value == "SUNDAY"


def test_memory_and_storage_aliases() -> None:
    spec = parse(memoryGB=4, storageGB=60)

    assert spec.memory_gb == 4
    assert spec.storage_gb == 60
    assert spec.model_dump(by_alias=True, exclude_none=True)["memoryGB"] == 4


def test_snake_case_names_accepted() -> None:
    spec = DMSDatabaseSpec(
        credentials_secret_ref={"name": "dms"},
        engine=Engine.POSTGRES,
        version="12",
        storage_gb=10,
    )

    assert spec.storage_gb == 10


def test_instance_name_from_invalid_metadata_name() -> None:
    spec = parse()

    with pytest.raises(ValueError, match=r"metadata.name 'orders.pg'.*set spec.instanceName"):
        spec.effective_instance_name("orders.pg")
    with pytest.raises(ValueError, match=r"set spec\.instanceName"):
        spec.effective_instance_name("a" * 64)


@pytest.mark.parametrize(
    ("fields", "expected_prefix"),
    [
        ({"engine": "Oracle"}, "spec.engine: Input should be 'Postgres' or 'MySQL'"),
        ({"storageGB": -1}, "spec.storageGB: Input should be greater than or equal to 1"),
        ({"backup": {"startTime": "25:00"}}, "spec.backup.startTime: String should match pattern"),
        ({"maintenanceWindow": {"durationHours": 25}}, "spec.maintenanceWindow.durationHours:"),
        ({"maintenanceWindow": {"day": "SUNDAY"}}, "spec.maintenanceWindow.day: Input should be"),
        ({"instanceName": "Orders"}, "spec.instanceName: String should match pattern"),
        ({"instanceName": "orders-"}, "spec.instanceName: String should match pattern"),
        ({"organizationId": "not-a-uuid"}, "spec.organizationId:"),
        ({"port": 70000}, "spec.port: Input should be less than or equal to 65535"),
        ({"version": "latest"}, "spec.version: String should match pattern"),
        ({"credentialsSecretRef": {"name": "Bad_Name"}}, "spec.credentialsSecretRef.name:"),
        (
            {"adminPasswordSecretRef": {"name": "pw", "key": "a/b"}},
            "spec.adminPasswordSecretRef.key:",
        ),
        ({"storage": 10}, "spec.storage: Extra inputs are not permitted"),
        ({"backup": {"retention": 3}}, "spec.backup.retention: Extra inputs are not permitted"),
    ],
)
def test_invalid_spec_message_names_field(fields: dict[str, Any], expected_prefix: str) -> None:
    message = error_for(**fields)

    assert message.startswith(expected_prefix), message
    assert "\n" not in message


def test_missing_required_fields_named() -> None:
    with pytest.raises(ValidationError) as raised:
        DMSDatabaseSpec.model_validate({"engine": "Postgres"})

    message = describe_validation_error(raised.value)

    assert "spec.credentialsSecretRef: Field required" in message
    assert "spec.version: Field required" in message
    assert message.count("; ") == 1


def test_validation_message_omits_input_value() -> None:
    message = error_for(adminPasswordSecretRef={"name": "pw", "key": "s3cr3t value!"})

    assert "s3cr3t" not in message


def test_plan_excludes_explicit_sizing() -> None:
    assert "mutually exclusive" in error_for(instancePlan="small", memoryGB=4)
    assert parse(instancePlan="small", storageGB=60).instance_plan == "small"


def test_organization_ref_excludes_id() -> None:
    message = error_for(
        organizationRef={"name": "acme"}, organizationId="0b0e8c8e-1d2f-4a5b-9c7d-123456789abc"
    )

    assert message.startswith("spec: Value error, spec.organizationRef and spec.organizationId")


def test_admin_password_key_default() -> None:
    spec = parse(adminPasswordSecretRef={"name": "orders-admin"})

    assert spec.admin_password_secret_ref is not None
    assert spec.admin_password_secret_ref.effective_key() == "password"


def test_status_patch_clears_unset_fields() -> None:
    status = DMSDatabaseStatus(
        observed_generation=2,
        id="db-1",
        dms_status="ONLINE",
        task=None,
        last_sync_time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )

    patch = status.to_patch()

    assert patch["observedGeneration"] == 2
    assert patch["dmsStatus"] == "ONLINE"
    assert patch["task"] is None
    assert patch["endpoint"] is None
    assert patch["conditions"] == []
    assert patch["lastSyncTime"] == "2026-01-02T03:04:05Z"


def test_status_patch_omits_nested_none() -> None:
    status = DMSDatabaseStatus(task=TaskStatus(id="t-1", type="CREATE_DB"))

    assert status.to_patch()["task"] == {"id": "t-1", "type": "CREATE_DB"}


def test_status_reads_unknown_fields() -> None:
    status = DMSDatabaseStatus.model_validate({"dmsStatus": "INIT", "kopf": {"progress": {}}})

    assert status.dms_status == "INIT"
