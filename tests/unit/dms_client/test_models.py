"""DMS payload models: documented examples, unknown fields and values, helpers."""

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from dms_operator.models.dms import (
    CreateDatabaseRequest,
    Database,
    DatabaseStatus,
    DatabaseSummary,
    DbOption,
    Environment,
    InstancePlan,
    MaintenanceConfig,
    Page,
    ScaleRequest,
    Task,
    TaskRef,
    Template,
    Tenant,
    User,
    UserSessionInfo,
)

DATA = Path(__file__).parent / "data"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def test_user_session_info_example_parses() -> None:
    info = UserSessionInfo.model_validate(load("user_session_info.json"))

    assert info.email == "admin@example.com"
    assert info.type == "TDM"
    assert len(info.org_memberships) == 1
    membership = info.org_memberships[0]
    assert membership.org_id == "7b0e…"
    assert membership.company_name == "Provider"
    assert membership.roles == ["PROVIDER"]
    assert membership.user_roles == ["PROVIDER"]


def test_empty_page_example_parses() -> None:
    parsed = Page[Tenant].model_validate(load("page_empty.json"))

    assert parsed.content == []
    assert parsed.page is not None
    assert parsed.page.total_pages == 0
    assert parsed.is_last()


def test_environment_example_and_default_datastore() -> None:
    environment = Environment.model_validate(load("environment.json"))

    assert environment.name == "env-a"
    assert environment.vc_cluster_name == "cluster-a"
    default = environment.default_datastore()
    assert default is not None
    assert default.datastore_name == "vsanDatastore"
    assert default.mor == "datastore-1"


def test_default_datastore_rules() -> None:
    def env(datastores: list[dict[str, Any]]) -> Environment:
        return Environment.model_validate({"id": "e", "vcVmDatastores": {"list": datastores}})

    marked = env(
        [{"datastoreName": "a"}, {"datastoreName": "b", "isDefault": True}]
    ).default_datastore()
    only = env([{"datastoreName": "solo"}]).default_datastore()
    ambiguous = env([{"datastoreName": "a"}, {"datastoreName": "b"}]).default_datastore()

    assert marked is not None
    assert marked.datastore_name == "b"
    assert only is not None
    assert only.datastore_name == "solo"
    assert ambiguous is None
    assert Environment(id="e").default_datastore() is None


def test_create_db_example_round_trips() -> None:
    example = load("create_db.json")

    request = CreateDatabaseRequest.model_validate(example)
    wire = request.to_wire()

    # `to_wire` drops nulls; everything else must come back exactly as documented.
    expected = json.loads(json.dumps(example))
    del expected["provisioningConfig"]["hwConfig"]["instancePlanId"]
    assert wire == expected
    assert request.db_config.admin_password.get_secret_value() == "…"
    assert request.db_maintenance_config is not None
    assert request.db_maintenance_config.maintenance_window_duration == 2


def test_database_detail_example_parses() -> None:
    database = Database.model_validate(load("database_detail.json"))

    assert database.instance_name == "orders-pg"
    assert database.status == DatabaseStatus.ONLINE
    assert database.connection_host == "db.example"
    assert database.port == 5432
    assert database.hw_config is not None
    assert database.hw_config.hd_disk_size_gb == 60
    assert database.hw_config.memory_gb == 4
    assert database.hw_config.thin_disk is True
    assert database.maintenance_config is not None
    assert database.maintenance_config.maintenance_window_duration == 2
    assert database.db_backup_config is not None
    assert database.db_backup_config.num_remote_backup_days == 6
    assert database.db_options == [DbOption(key="max_connections", value="200")]
    assert database.environment is not None
    assert database.environment.vc_host == "…"


def test_task_example_parses() -> None:
    task = Task.model_validate(load("task.json"))

    assert task.task_type == "CREATE_DB"
    assert task.percent == 40
    assert task.is_running
    assert not task.succeeded
    assert not task.failed
    assert task.error_message is None
    assert task.db_details is not None
    assert task.db_details.id == "<db id>"
    assert task.target_details is not None
    assert task.target_details.name == "orders-pg"
    assert task.state_history[0].state == "IN_PROGRESS"


def test_task_ref_uses_snake_case_key() -> None:
    ref = TaskRef.model_validate({"task_id": "t-1"})

    assert ref.task_id == "t-1"
    assert ref.to_wire() == {"task_id": "t-1"}


@pytest.mark.parametrize(
    ("status", "running", "succeeded", "failed"),
    [
        ("IN_PROGRESS", True, False, False),
        ("QUEUED_BY_A_NEWER_DMS", True, False, False),
        ("", True, False, False),
        ("SUCCESS", False, True, False),
        ("FAILED", False, False, True),
        ("COMMUNICATION_LOST", False, False, True),
    ],
)
def test_task_status_classification(
    status: str, running: bool, succeeded: bool, failed: bool
) -> None:
    task = Task(id="t", status=status)

    assert task.is_running is running
    assert task.succeeded is succeeded
    assert task.failed is failed


def test_task_error_message_sources() -> None:
    with_message = Task.model_validate(
        {
            "id": "t",
            "status": "FAILED",
            "taskErrorInfo": {"errorMessage": "disk full", "errorCode": "E1"},
        }
    )
    with_code = Task.model_validate(
        {"id": "t", "status": "COMMUNICATION_LOST", "taskErrorInfo": {"errorCode": "E2"}}
    )
    bare = Task(id="t", status="FAILED")

    assert with_message.error_message == "disk full"
    assert with_code.error_message is not None
    assert "E2" in with_code.error_message
    assert "COMMUNICATION_LOST" in with_code.error_message
    assert bare.error_message is not None
    assert "FAILED" in bare.error_message


def test_unknown_fields_are_ignored() -> None:
    body = {
        "id": "db-1",
        "instanceName": "orders-pg",
        "status": "A_STATUS_FROM_THE_FUTURE",
        "brandNewField": {"nested": True},
        "tags": [{"id": "x"}],
    }

    summary = DatabaseSummary.model_validate(body)

    assert summary.status == "A_STATUS_FROM_THE_FUTURE"
    assert "brandNewField" not in summary.model_dump(by_alias=True)
    assert not hasattr(summary, "brand_new_field")


def test_responses_are_frozen() -> None:
    tenant = Tenant(id="o", company_name="Acme")

    with pytest.raises(ValidationError):
        tenant.company_name = "Other"  # type: ignore[misc]


def test_connection_host_falls_back_to_ip() -> None:
    without_fqdn = Database.model_validate(
        {"id": "d", "instanceName": "n", "fqdn": "", "ip": "10.0.0.7"}
    )
    nothing = Database.model_validate({"id": "d", "instanceName": "n"})

    assert without_fqdn.connection_host == "10.0.0.7"
    assert nothing.connection_host is None
    assert nothing.port is None


def test_template_system_defaults_aliases() -> None:
    template = Template.model_validate(
        {
            "logicalBuildId": "00000003-0000-0000-0000-000000001270",
            "serviceType": "POSTGRES",
            "version": "12.7.0",
            "status": "PUBLISHED",
            "systemDefaults": {
                "cpu": {"min": 1, "max": 16, "defaultCPU": 2},
                "memory": {"min": 2, "max": 64, "defaultMemory": 4, "unit": "GB"},
                "disk": {"min": 20, "max": 2000, "defaultDisk": 60, "unit": "GB"},
            },
            "dbOptions": [{"key": "max_connections", "value": 100, "type": "int"}],
        }
    )

    assert template.is_published
    assert template.system_defaults is not None
    assert template.system_defaults.cpu is not None
    assert template.system_defaults.cpu.default_cpu == 2
    assert template.system_defaults.disk is not None
    assert template.system_defaults.disk.default_disk == 60
    assert template.db_options[0].value == "100"
    assert not Template(logical_build_id="x", service_type="MYSQL", version="8").is_published


def test_maintenance_duration_is_sent_as_text() -> None:
    config = MaintenanceConfig(maintenance_window_duration=3, maintenance_window_start_day="MONDAY")

    assert config.to_wire() == {
        "maintenanceWindowDuration": "3",
        "maintenanceWindowStartDay": "MONDAY",
    }
    assert MaintenanceConfig.model_validate({"maintenanceWindowDuration": "4"}).to_wire() == {
        "maintenanceWindowDuration": "4"
    }


def test_scale_request_needs_a_change() -> None:
    with pytest.raises(ValidationError, match="instance_type_id, cpu or memory"):
        ScaleRequest()

    assert ScaleRequest(cpu=4, memory=8).to_wire() == {"cpu": 4, "memory": 8}
    assert ScaleRequest(instance_type_id="p").to_wire() == {"instanceTypeId": "p"}


def test_user_and_plan_parse() -> None:
    user = User.model_validate(
        {"id": 42, "email": "a@example.com", "tenantId": "o", "roles": ["ORG_ADMIN"], "type": "TDM"}
    )
    plan = InstancePlan.model_validate(
        {"id": "p", "name": "small", "cpu": 2, "memory": 4, "deleted": False}
    )

    assert user.id == 42
    assert user.tenant_id == "o"
    assert plan.to_wire() == {"id": "p", "name": "small", "cpu": 2, "memory": 4, "deleted": False}
