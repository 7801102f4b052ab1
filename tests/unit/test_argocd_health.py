"""The Argo CD health checks in argocd/, run in a Lua 5.1 runtime against status samples.

Argo CD runs health scripts in gopher-lua, which implements Lua 5.1, with the live
object in the global `obj`, and reads `status` and `message` from the returned table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lupa import lua51

from dms_operator.models.conditions import Reason

ARGOCD_DIR = Path(__file__).resolve().parents[2] / "argocd"
SCRIPTS = {
    "DMSDatabase": ARGOCD_DIR / "health-dmsdatabase.lua",
    "DMSOrganization": ARGOCD_DIR / "health-dmsorganization.lua",
}

Health = Callable[[dict[str, Any]], dict[str, str]]

# The health every Ready=False reason maps to, per kind. A new Reason member fails
# `test_reason_sets_cover_reason` until someone decides how Argo CD shows it.
SUSPENDED = {Reason.PAUSED, Reason.POWERED_OFF}
PROGRESSING = {
    Reason.CREATING,
    Reason.UPDATING,
    Reason.DELETING,
    Reason.NOT_ONLINE,
    Reason.DRIFT_DETECTED,
    Reason.ORGANIZATION_NOT_READY,
    Reason.CREDENTIALS_NOT_FOUND,
    Reason.RETAINED,
    # Synced reasons never appear on Ready; unknown reasons fall back to Progressing.
    Reason.RECONCILE_SUCCESS,
    Reason.RECONCILE_ERROR,
}
DEGRADED = {
    Reason.INVALID_SPEC,
    Reason.CREDENTIALS_INVALID,
    Reason.AUTHENTICATION_FAILED,
    Reason.TLS_VERIFICATION_FAILED,
    Reason.FORBIDDEN,
    Reason.ORGANIZATION_NOT_FOUND,
    Reason.ORGANIZATION_AMBIGUOUS,
    Reason.ENVIRONMENT_NOT_FOUND,
    Reason.ENVIRONMENT_AMBIGUOUS,
    Reason.DATASTORE_NOT_FOUND,
    Reason.VERSION_NOT_FOUND,
    Reason.PLAN_NOT_FOUND,
    Reason.NAME_CONFLICT,
    Reason.SECRET_CONFLICT,
    Reason.TASK_FAILED,
    Reason.INSTANCE_FAILED,
    Reason.UNSUPPORTED_CHANGE,
    Reason.PASSWORD_UNKNOWN,
    Reason.DMS_REJECTED,
    Reason.DMS_UNAVAILABLE,
}
# Reasons that describe databases only; an organization gets the default.
DATABASE_ONLY = {
    Reason.POWERED_OFF,
    Reason.ORGANIZATION_NOT_FOUND,
    Reason.ORGANIZATION_AMBIGUOUS,
    Reason.ENVIRONMENT_NOT_FOUND,
    Reason.ENVIRONMENT_AMBIGUOUS,
    Reason.DATASTORE_NOT_FOUND,
    Reason.VERSION_NOT_FOUND,
    Reason.PLAN_NOT_FOUND,
    Reason.PASSWORD_UNKNOWN,
    Reason.INSTANCE_FAILED,
}


def expected_health(kind: str, reason: Reason) -> str:
    if reason == Reason.AVAILABLE:
        return "Healthy"
    if kind == "DMSOrganization" and reason in DATABASE_ONLY:
        return "Progressing"
    if reason in SUSPENDED:
        return "Suspended"
    if reason in DEGRADED:
        return "Degraded"
    return "Progressing"


def to_lua(runtime: Any, value: Any) -> Any:
    """Convert JSON-like data the way Argo CD does: objects and arrays become tables."""
    if isinstance(value, dict):
        return runtime.table_from({key: to_lua(runtime, item) for key, item in value.items()})
    if isinstance(value, list):
        return runtime.table_from([to_lua(runtime, item) for item in value])
    return value


def load_health(kind: str) -> Health:
    script = SCRIPTS[kind].read_text()

    def run(obj: dict[str, Any]) -> dict[str, str]:
        runtime = lua51.LuaRuntime()
        runtime.globals().obj = to_lua(runtime, obj)
        result = runtime.execute(script)
        return {key: result[key] for key in ("status", "message") if result[key] is not None}

    return run


@pytest.fixture(params=sorted(SCRIPTS))
def kind(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def resource(
    kind: str,
    *,
    generation: int = 2,
    status: dict[str, Any] | None = None,
    **metadata: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "dms.tanzu.community/v1alpha1",
        "kind": kind,
        "metadata": {"name": "sample", "namespace": "team-a", "generation": generation, **metadata},
        "spec": {"credentialsSecretRef": {"name": "dms-login"}},
    }
    if status is not None:
        body["status"] = status
    return body


def ready(status: str, reason: str, message: str = "", observed: int = 2) -> dict[str, Any]:
    return {
        "observedGeneration": observed,
        "conditions": [
            {
                "type": "Synced",
                "status": "True",
                "reason": "ReconcileSuccess",
                "message": "the last reconcile succeeded",
            },
            {"type": "Ready", "status": status, "reason": reason, "message": message},
        ],
    }


def test_no_status_progressing(kind: str) -> None:
    health = load_health(kind)(resource(kind))

    assert health["status"] == "Progressing"
    assert "Ready condition" in health["message"]


def test_empty_conditions_progressing(kind: str) -> None:
    body = resource(kind, status={"observedGeneration": 2, "conditions": []})

    assert load_health(kind)(body)["status"] == "Progressing"


def test_ready_current_generation_healthy(kind: str) -> None:
    body = resource(kind, status=ready("True", "Available", "the database is ONLINE"))

    health = load_health(kind)(body)

    assert health["status"] == "Healthy"
    assert health["message"] == "the database is ONLINE"


def test_ready_old_generation_progressing(kind: str) -> None:
    body = resource(kind, generation=3, status=ready("True", "Available", observed=2))

    health = load_health(kind)(body)

    assert health["status"] == "Progressing"
    assert "generation 3" in health["message"]


def test_missing_observed_generation_progressing(kind: str) -> None:
    status = ready("True", "Available")
    del status["observedGeneration"]

    assert load_health(kind)(resource(kind, status=status))["status"] == "Progressing"


def test_deleting_progressing(kind: str) -> None:
    body = resource(
        kind,
        status=ready("True", "Available"),
        deletionTimestamp="2025-01-01T00:00:00Z",
    )

    assert load_health(kind)(body)["status"] == "Progressing"


def test_unknown_reason_progressing(kind: str) -> None:
    body = resource(kind, status=ready("False", "SomethingNew", "a reason from a newer operator"))

    health = load_health(kind)(body)

    assert health["status"] == "Progressing"
    assert health["message"] == "SomethingNew: a reason from a newer operator"


def test_reason_sets_cover_reason() -> None:
    classified = {Reason.AVAILABLE} | SUSPENDED | PROGRESSING | DEGRADED

    assert set(Reason) - classified == set()
    assert not SUSPENDED & PROGRESSING
    assert not SUSPENDED & DEGRADED
    assert not PROGRESSING & DEGRADED


@pytest.mark.parametrize("reason", list(Reason), ids=str)
def test_every_reason_classified(kind: str, reason: Reason) -> None:
    status_value = "True" if reason == Reason.AVAILABLE else "False"
    body = resource(kind, status=ready(status_value, str(reason), f"sample message for {reason}"))

    health = load_health(kind)(body)

    assert health["status"] == expected_health(kind, reason)
    if status_value == "False":
        assert health["message"] == f"{reason}: sample message for {reason}"


def test_ready_unknown_paused_suspended(kind: str) -> None:
    body = resource(kind, status=ready("Unknown", "Paused", "writes to DMS are paused"))

    assert load_health(kind)(body)["status"] == "Suspended"


def test_ready_unknown_dms_unavailable_degraded(kind: str) -> None:
    body = resource(kind, status=ready("Unknown", "DMSUnavailable", "connection refused"))

    health = load_health(kind)(body)

    assert health["status"] == "Degraded"
    assert health["message"] == "DMSUnavailable: connection refused"


def test_reason_without_message(kind: str) -> None:
    body = resource(kind, status=ready("False", "InvalidSpec"))

    assert load_health(kind)(body)["message"] == "InvalidSpec"


def test_database_task_progressing() -> None:
    status = ready("True", "Available")
    status["task"] = {"id": "b6f0", "type": "SCALE_DATABASE", "percent": 40}

    health = load_health("DMSDatabase")(resource("DMSDatabase", status=status))

    assert health["status"] == "Progressing"
    assert health["message"] == "DMS SCALE_DATABASE in progress (40%)"


def test_database_task_without_percent() -> None:
    status = ready("False", "Creating")
    status["task"] = {"id": "b6f0", "type": "CREATE_DATABASE"}

    health = load_health("DMSDatabase")(resource("DMSDatabase", status=status))

    assert health["status"] == "Progressing"
    assert health["message"] == "DMS CREATE_DATABASE in progress"


@pytest.mark.parametrize("reason", ["TaskFailed", "InstanceFailed"])
def test_database_failed_in_dms_degraded(reason: str) -> None:
    # The status the operator writes for a database that DMS left FATAL: no task, Synced
    # False with the same reason.
    status = ready("False", reason, "DMS reports instance sample as FATAL")
    status["conditions"][0] = {
        "type": "Synced",
        "status": "False",
        "reason": reason,
        "message": "DMS reports instance sample as FATAL",
    }
    status["dmsStatus"] = "FATAL"

    health = load_health("DMSDatabase")(resource("DMSDatabase", status=status))

    assert health["status"] == "Degraded"
    assert health["message"] == f"{reason}: DMS reports instance sample as FATAL"


def test_tls_verification_failure_degraded(kind: str) -> None:
    body = resource(kind, status=ready("False", "TLSVerificationFailed", "self-signed"))

    assert load_health(kind)(body)["status"] == "Degraded"


@pytest.mark.parametrize("path", sorted(SCRIPTS.values()), ids=lambda p: p.name)
def test_script_reasons_exist(path: Path) -> None:
    # A misspelt reason in a Lua table would silently fall back to Progressing.
    listed = set(re.findall(r"^\s+(\w+) = true,$", path.read_text(), flags=re.MULTILINE))
    known = {str(reason) for reason in Reason}

    assert listed
    assert listed <= known, f"{path.name} lists reasons that Reason lacks: {listed - known}"
