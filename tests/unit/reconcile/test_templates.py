"""Resolving spec names to DMS ids: templates by version prefix, plans, environments."""

from __future__ import annotations

from typing import Any

import pytest

from dms_operator.models.database import Engine
from dms_operator.models.dms import Environment, InstancePlan, Template
from dms_operator.reconcile.outcomes import Problem, Retry
from dms_operator.reconcile.templates import (
    resolve_datastore,
    resolve_environment,
    resolve_plan,
    resolve_template,
    version_matches,
)


def template(version: str, engine: str = "POSTGRES", status: str = "PUBLISHED") -> Template:
    return Template(
        logical_build_id=f"id-{engine}-{version}",
        service_type=engine,
        version=version,
        status=status,
    )


TEMPLATES = [
    template("10.15.0"),
    template("11.10.0"),
    template("12.7.0"),
    template("12.10.0"),
    template("12.11.0", status="UNPUBLISHED"),
    template("8.0.23", "MYSQL"),
    template("8.0", "MYSQL"),
]


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [("12", "12.10.0"), ("12.7", "12.7.0"), ("12.7.0", "12.7.0"), ("11", "11.10.0")],
)
def test_version_prefix_picks_newest(wanted: str, expected: str) -> None:
    assert resolve_template(TEMPLATES, Engine.POSTGRES, wanted).version == expected


def test_mysql_versions_separate() -> None:
    assert resolve_template(TEMPLATES, Engine.MYSQL, "8").version == "8.0.23"


def test_prefix_matches_whole_components() -> None:
    assert version_matches("12.7.0", "12") is True
    assert version_matches("120.1", "12") is False
    assert version_matches("12.70.0", "12.7") is False


def test_unpublished_template_is_ignored() -> None:
    with pytest.raises(Problem) as raised:
        resolve_template(TEMPLATES, Engine.POSTGRES, "12.11")

    assert raised.value.reason == "VersionNotFound"


def test_unknown_version_names_value_and_choices() -> None:
    with pytest.raises(Problem) as raised:
        resolve_template(TEMPLATES, Engine.POSTGRES, "13")

    problem = raised.value
    assert problem.retry is Retry.PERMANENT
    assert "'13'" in problem.message
    assert "10.15.0, 11.10.0, 12.7.0, 12.10.0" in problem.message


def test_plan_by_name() -> None:
    plans = [
        InstancePlan(id="p1", name="small", cpu=1, memory=2),
        InstancePlan(id="p2", name="large", cpu=4, memory=8),
    ]

    assert resolve_plan(plans, "large").id == "p2"


def test_deleted_plan_is_unknown() -> None:
    plans = [InstancePlan(id="p1", name="small", cpu=1, memory=2, deleted=True)]

    with pytest.raises(Problem) as raised:
        resolve_plan(plans, "small")

    assert raised.value.reason == "PlanNotFound"
    assert "available plans: none" in raised.value.message


def environment(env_id: str, *datastores: tuple[str, bool]) -> Environment:
    stores: list[dict[str, Any]] = [
        {"datastoreName": name, "isDefault": default} for name, default in datastores
    ]
    return Environment.model_validate(
        {"id": env_id, "name": env_id, "vcVmDatastores": {"list": stores}}
    )


def test_only_environment_is_default() -> None:
    assert resolve_environment([environment("e1")], None, "org").id == "e1"


def test_several_environments_need_a_choice() -> None:
    with pytest.raises(Problem) as raised:
        resolve_environment([environment("e1"), environment("e2")], None, "org")

    assert raised.value.reason == "EnvironmentAmbiguous"
    assert "e1" in raised.value.message
    assert "e2" in raised.value.message


def test_chosen_environment() -> None:
    assert resolve_environment([environment("e1"), environment("e2")], "e2", "org").id == "e2"


def test_unknown_environment() -> None:
    with pytest.raises(Problem) as raised:
        resolve_environment([environment("e1")], "e9", "org")

    assert raised.value.reason == "EnvironmentNotFound"


def test_no_environment() -> None:
    with pytest.raises(Problem) as raised:
        resolve_environment([], None, "org")

    assert raised.value.reason == "EnvironmentNotFound"


def test_default_datastore() -> None:
    env = environment("e1", ("a", False), ("b", True))

    assert resolve_datastore(env, None).datastore_name == "b"


def test_chosen_datastore() -> None:
    env = environment("e1", ("a", False), ("b", True))

    assert resolve_datastore(env, "a").datastore_name == "a"


def test_unknown_datastore_lists_known() -> None:
    env = environment("e1", ("a", False), ("b", True))

    with pytest.raises(Problem) as raised:
        resolve_datastore(env, "c")

    assert raised.value.reason == "DataStoreNotFound"
    assert "a, b" in raised.value.message
