"""The pure DMSDatabase plan: which actions, in which order, and what it reports."""

from __future__ import annotations

import pytest

from dms_operator.models.common import ConditionStatus
from dms_operator.reconcile.database_plan import plan_database
from dms_operator.reconcile.database_types import (
    ChangeDbOptions,
    CreateDatabase,
    ExtendDisk,
    MarkCreateRequested,
    PasswordOrigin,
    PowerOff,
    PowerOn,
    Scale,
    SetClientSsl,
    UpdateBackup,
    UpdateMaintenance,
    WriteConnectionSecret,
)
from dms_operator.reconcile.outcomes import Problem, Retry
from tests.unit.reconcile.factories import (
    DB_ID,
    database,
    intent,
    missing,
    observed,
    plan,
    settled,
    task,
)


def kinds(actions: tuple[object, ...]) -> list[type]:
    return [type(action) for action in actions]


# Creation


def test_create_writes_secret_marks_then_creates() -> None:
    result = plan_database(intent(), missing())

    assert kinds(result.actions) == [WriteConnectionSecret, MarkCreateRequested, CreateDatabase]
    assert result.ready.status == ConditionStatus.FALSE
    assert result.ready.reason == "Creating"
    assert result.wait is False


def test_create_pending_secret_is_incomplete() -> None:
    result = plan_database(intent(), missing())

    secret = result.actions[0]
    assert isinstance(secret, WriteConnectionSecret)
    assert secret.complete is False


def test_create_after_restart_keeps_marker() -> None:
    result = plan_database(intent(create_requested=True), missing(connection_secret_stale=False))

    assert kinds(result.actions) == [CreateDatabase]


def test_create_paused_does_nothing() -> None:
    result = plan_database(intent(paused=True), missing())

    assert result.actions == ()
    assert result.ready.reason == "Paused"
    assert result.pending == ("create instance orders",)


def test_create_needs_request() -> None:
    with pytest.raises(ValueError, match="create_request"):
        plan_database(intent(), missing(create_request=None))


def test_deleted_out_of_band_is_recreated() -> None:
    result = plan_database(settled(), missing(missing_id=DB_ID))

    assert kinds(result.actions)[-1] is CreateDatabase
    assert [event.reason for event in result.events] == ["DriftDetected"]
    assert DB_ID in result.events[0].message


def test_failed_create_is_not_repeated() -> None:
    failed = task("FAILED", taskErrorInfo={"errorMessage": "no capacity"})

    result = plan_database(intent(create_requested=True), missing(task=failed))

    assert result.actions == ()
    assert result.failed is True
    assert result.ready.reason == "TaskFailed"
    assert "no capacity" in result.ready.message
    assert [event.reason for event in result.events] == ["TaskFailed"]


# Waiting


def test_running_task_waits() -> None:
    result = plan_database(intent(create_requested=True), missing(task=task("IN_PROGRESS")))

    assert result.actions == ()
    assert result.wait is True
    assert result.ready.reason == "Creating"


def test_running_update_keeps_drift_reason() -> None:
    drifted = settled(ready_reason="DriftDetected", ready_message="restoring spec.cpu")

    result = plan_database(drifted, observed(task=task("IN_PROGRESS", "SCALE_DB_CONFIG")))

    assert result.ready.reason == "DriftDetected"
    assert result.ready.message == "restoring spec.cpu"
    assert result.wait is True


@pytest.mark.parametrize("status", ["INIT", "MODIFYING", "DELETING", "BACKUP_IN_PROGRESS"])
def test_busy_status_waits(status: str) -> None:
    result = plan_database(settled({"cpu": 8}), observed(database=database(status=status)))

    assert not any(action.writes_dms for action in result.actions)
    assert result.wait is True


def test_warning_status_reports_without_waiting() -> None:
    result = plan_database(settled({"cpu": 8}), observed(database=database(status="WARNING")))

    assert result.actions == ()
    assert result.wait is False
    assert result.failed is False
    assert result.ready.reason == "NotOnline"
    assert "WARNING" in result.ready.message


# Adoption


def test_found_by_name_without_marker_is_refused() -> None:
    with pytest.raises(Problem) as raised:
        plan_database(intent(), observed())

    assert raised.value.reason == "NameConflict"
    assert raised.value.retry is Retry.PERMANENT
    assert DB_ID in raised.value.message
    assert "dms.tanzu.community/adopt" in raised.value.message


def test_found_by_name_with_marker_is_adopted_silently() -> None:
    result = plan_database(intent(create_requested=True), observed())

    assert result.database_id == DB_ID
    assert result.events == ()
    assert result.ready.reason == "Available"


def test_adopt_annotation_adopts_with_event() -> None:
    result = plan_database(intent(adopt=True), observed())

    assert result.database_id == DB_ID
    assert [event.reason for event in result.events] == ["Adopted"]


def test_adopting_other_engine_is_refused() -> None:
    with pytest.raises(Problem) as raised:
        plan_database(intent(adopt=True), observed(database=database(dbType="MYSQL")))

    assert raised.value.reason == "NameConflict"
    assert "MYSQL" in raised.value.message


# Nothing to do


def test_matching_database_is_ready_without_actions() -> None:
    result = plan_database(settled(), observed())

    assert result.actions == ()
    assert result.ready.status == ConditionStatus.TRUE
    assert result.ready.reason == "Available"
    assert result.unsupported == ()


def test_stale_secret_is_rewritten_and_ready() -> None:
    result = plan_database(settled(), observed(connection_secret_stale=True))

    assert kinds(result.actions) == [WriteConnectionSecret]
    assert result.ready.reason == "Available"


def test_unknown_password_is_not_ready() -> None:
    unknown = observed(
        password=None, password_origin=PasswordOrigin.UNKNOWN, connection_secret=None
    )

    result = plan_database(settled(), unknown)

    assert result.actions == ()
    assert result.ready.reason == "PasswordUnknown"


# Updates


def test_cpu_change_scales() -> None:
    result = plan_database(settled({"cpu": 4}, generation=2), observed())

    assert kinds(result.actions) == [Scale]
    scale = result.actions[0]
    assert isinstance(scale, Scale)
    assert scale.request.cpu == 4
    assert scale.request.memory is None
    assert result.ready.reason == "Updating"
    assert result.events == ()


def test_memory_change_scales() -> None:
    result = plan_database(settled({"memoryGB": 8}, generation=2), observed())

    scale = result.actions[0]
    assert isinstance(scale, Scale)
    assert scale.request.memory == 8
    assert scale.request.cpu is None


def test_plan_change_scales_by_plan_id() -> None:
    bigger = plan("large", "plan-2", 4, 8)

    result = plan_database(settled({"instancePlan": "large"}), observed(instance_plan=bigger))

    scale = result.actions[0]
    assert isinstance(scale, Scale)
    assert scale.request.instance_type_id == "plan-2"


def test_same_plan_does_nothing() -> None:
    current = database(hwConfig={"instancePlanId": "plan-1"})

    result = plan_database(
        settled({"instancePlan": "small"}), observed(database=current, instance_plan=plan())
    )

    assert result.actions == ()


def test_storage_growth_extends_disk() -> None:
    result = plan_database(settled({"storageGB": 80}, generation=2), observed())

    assert kinds(result.actions) == [ExtendDisk]
    extend = result.actions[0]
    assert isinstance(extend, ExtendDisk)
    assert extend.size_gb == 80


def test_storage_shrink_is_unsupported_not_retried() -> None:
    result = plan_database(settled({"storageGB": 40}), observed())

    assert result.actions == ()
    assert len(result.unsupported) == 1
    assert "cannot shrink" in result.unsupported[0]
    assert result.ready.reason == "Available"


def test_password_change_is_unsupported() -> None:
    result = plan_database(settled(), observed(password_change_requested=True))

    assert result.actions == ()
    assert "admin password" in result.unsupported[0]


def test_power_off_is_last() -> None:
    result = plan_database(settled({"powerState": "Off", "cpu": 4}, generation=2), observed())

    assert kinds(result.actions) == [Scale, PowerOff]


def test_power_on_comes_first_and_holds_back_tasks() -> None:
    off = database(status="POWEREDOFF")

    result = plan_database(
        settled({"cpu": 4, "backup": {"localRetentionDays": 9}}, generation=2),
        observed(database=off),
    )

    assert kinds(result.actions) == [UpdateBackup, PowerOn]


def test_powered_off_as_requested() -> None:
    off = database(status="POWEREDOFF")

    result = plan_database(settled({"powerState": "Off", "cpu": 4}), observed(database=off))

    assert result.actions == ()
    assert result.ready.reason == "PoweredOff"
    assert "spec.cpu" in result.pending[0]


def test_backup_merge_keeps_unset_fields() -> None:
    result = plan_database(settled({"backup": {"startTime": "01:30"}}, generation=2), observed())

    assert kinds(result.actions) == [UpdateBackup]
    update = result.actions[0]
    assert isinstance(update, UpdateBackup)
    assert update.config.automated_backup_start_time == "01:30"
    assert update.config.num_local_backup_days == 3
    assert update.config.num_remote_backup_days == 6
    assert result.ready.reason == "Available"


def test_backup_matching_does_nothing() -> None:
    result = plan_database(settled({"backup": {"localRetentionDays": 3}}), observed())

    assert result.actions == ()


def test_maintenance_window_update() -> None:
    window = {"day": "Monday", "durationHours": 4}

    result = plan_database(settled({"maintenanceWindow": window}, generation=2), observed())

    update = result.actions[0]
    assert isinstance(update, UpdateMaintenance)
    assert update.config.maintenance_window_start_day == "MONDAY"
    assert update.config.maintenance_window_duration == 4
    assert update.config.maintenance_window_start_time == "02:00"


def test_options_merge_with_dms_options() -> None:
    current = database(
        dbOptions=[{"key": "max_connections", "value": "100"}, {"key": "work_mem", "value": "4MB"}]
    )

    result = plan_database(
        settled({"dbOptions": {"max_connections": "200"}}, generation=2), observed(database=current)
    )

    change = result.actions[0]
    assert isinstance(change, ChangeDbOptions)
    assert dict(change.options) == {"max_connections": "200", "work_mem": "4MB"}
    assert change.changed_keys == ("max_connections",)


def test_client_ssl_change() -> None:
    result = plan_database(settled({"requireClientSsl": True}, generation=2), observed())

    change = result.actions[0]
    assert isinstance(change, SetClientSsl)
    assert change.required is True
    assert change.task_type == "DB_CLIENT_SSL_ENABLE"


def test_settings_come_before_tasks() -> None:
    fields = {"cpu": 4, "maintenanceWindow": {"day": "Friday"}, "backup": {"localRetentionDays": 1}}

    result = plan_database(settled(fields, generation=2), observed())

    assert kinds(result.actions) == [UpdateBackup, UpdateMaintenance, Scale]


# Drift


def test_drift_is_reported_and_restored() -> None:
    drifted = database(hwConfig={"cpuCores": 8})

    result = plan_database(settled({"cpu": 2}), observed(database=drifted))

    assert kinds(result.actions) == [Scale]
    assert result.ready.reason == "DriftDetected"
    assert "spec.cpu" in result.ready.message
    assert [event.reason for event in result.events] == ["DriftDetected"]


def test_drift_of_power_state() -> None:
    result = plan_database(settled(), observed(database=database(status="POWEREDOFF")))

    assert kinds(result.actions) == [PowerOn]
    assert "spec.powerState" in result.ready.message


def test_settings_drift_is_fixed_in_one_pass() -> None:
    drifted = database(dbBackupConfig={"numLocalBackupDays": 1})

    result = plan_database(
        settled({"backup": {"localRetentionDays": 3}}), observed(database=drifted)
    )

    assert kinds(result.actions) == [UpdateBackup]
    assert result.ready.reason == "Available"
    assert [event.reason for event in result.events] == ["DriftDetected"]


def test_spec_change_is_not_drift() -> None:
    result = plan_database(settled({"cpu": 4}, generation=2), observed())

    assert result.events == ()
    assert result.ready.reason == "Updating"


# Paused


def test_paused_reports_pending_changes() -> None:
    result = plan_database(settled({"cpu": 4}, paused=True, generation=2), observed())

    assert result.actions == ()
    assert result.ready.reason == "Paused"
    assert "spec.cpu" in result.ready.message


def test_paused_without_changes_stays_ready() -> None:
    result = plan_database(settled(paused=True), observed())

    assert result.actions == ()
    assert result.ready.reason == "Available"
