"""Request validation, unique names and paging."""

from __future__ import annotations

from typing import Any

import pytest

from dms_testenv.simulator import DB_PASSWORD, USER_PASSWORD, SimulatorClient, unique_name


def error_of(response: Any, status: int = 400) -> tuple[str, str]:
    assert response.status_code == status, response.text
    body = response.json()
    return body["errorCodes"]["type"], body["message"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"companyName": None}, "companyName"),
        ({"instanceMode": "CHEAP_MODE"}, "instanceMode"),
        ({"email": "not-an-email"}, "email"),
        ({"dbFqdnSuffix": "Bad Suffix"}, "dbFqdnSuffix"),
    ],
)
def test_org_validation_names_field(
    dms: SimulatorClient, change: dict[str, Any], field: str
) -> None:
    body = {"companyName": unique_name("org"), "email": "a@b.example", "instanceMode": "FREE_MODE"}
    body.update(change)
    body = {key: value for key, value in body.items() if value is not None}
    kind, message = error_of(dms.call("POST", "/orgs", dms.provider(), json=body))
    assert kind == "VALIDATION_ERROR"
    assert message.startswith(f"{field}:")


def test_user_password_rule(dms: SimulatorClient) -> None:
    org = dms.create_org()
    for password in ("short1!A", "nouppercase1!", "NoDigits!!", "NoSpecial12", "Has space1!"):
        body = {
            "firstName": "A",
            "lastName": "B",
            "email": f"{unique_name('u')}@org.example",
            "password": password,
            "tenantId": org["id"],
            "roles": ["ORG_USER"],
        }
        if password == "short1!A":
            # Exactly 8 characters is allowed.
            assert dms.call("POST", "/users", dms.provider(), json=body).status_code == 200
            continue
        kind, message = error_of(dms.call("POST", "/users", dms.provider(), json=body))
        assert kind == "VALIDATION_ERROR"
        assert message.startswith("password:")
        assert password not in message


def test_user_role_checks(dms: SimulatorClient) -> None:
    org = dms.create_org()
    body = {
        "firstName": "A",
        "lastName": "B",
        "email": f"{unique_name('u')}@org.example",
        "password": USER_PASSWORD,
        "tenantId": org["id"],
        "roles": ["SUPERUSER"],
    }
    _, message = error_of(dms.call("POST", "/users", dms.provider(), json=body))
    assert message.startswith("roles[0]:")
    body["roles"] = ["PROVIDER"]
    _, message = error_of(dms.call("POST", "/users", dms.provider(), json=body))
    assert message.startswith("roles:")
    body["roles"] = ["ORG_USER"]
    body["tenantId"] = "00000000-0000-0000-0000-000000000000"
    _, message = error_of(dms.call("POST", "/users", dms.provider(), json=body))
    assert message.startswith("tenantId:")
    assert "00000000-0000-0000-0000-000000000000" in message


def test_invalid_json_is_400_not_422(dms: SimulatorClient) -> None:
    response = dms.call(
        "POST",
        "/orgs",
        dms.provider(),
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    kind, message = error_of(response)
    assert kind == "VALIDATION_ERROR"
    assert "JSON" in message


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("dbConfig", "adminPassword"), "weak", "dbConfig.adminPassword"),
        (("dbConfig", "monitoringType"), "LOUD", "dbConfig.monitoringType"),
        (("dbConfig", "dbName"), "1bad", "dbConfig.dbName"),
        (("dbConfig", "port"), 70000, "dbConfig.port"),
        (("instanceName",), "Upper_Case", "instanceName"),
        (("instanceName",), "ends-with-", "instanceName"),
        (("templateId",), "00000000-0000-0000-0000-000000000001", "templateId"),
        (("environmentId",), "00000000-0000-0000-0000-000000000002", "environmentId"),
        (("dataStoreName",), "noSuchStore", "dataStoreName"),
        (("dbOptions",), [{"key": "no_such_option", "value": "1"}], "dbOptions[0].key"),
        (("dbOptions",), [{"key": "max_connections", "value": "many"}], "dbOptions[0].value"),
    ],
)
def test_create_db_validation_names_field(
    dms: SimulatorClient, tenant_free: Any, path: tuple[str, ...], value: Any, field: str
) -> None:
    body = dms.db_body(tenant_free)
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    kind, message = error_of(dms.call("POST", "/databases", tenant_free.admin, json=body))
    assert kind == "VALIDATION_ERROR"
    assert message.startswith(f"{field}:")
    if isinstance(value, str) and field in ("templateId", "environmentId", "dataStoreName"):
        assert value in message
    assert DB_PASSWORD not in message


def test_create_db_missing_fields(dms: SimulatorClient, tenant_free: Any) -> None:
    body = dms.db_body(tenant_free)
    del body["dbConfig"]["adminPassword"]
    del body["dataStoreName"]
    _, message = error_of(dms.call("POST", "/databases", tenant_free.admin, json=body))
    assert "dataStoreName:" in message
    assert "dbConfig.adminPassword:" in message


def test_sizing_outside_template_limits(dms: SimulatorClient, tenant_free: Any) -> None:
    for hw, field in (
        ({"cpuCores": 17}, "cpuCores"),
        ({"memoryGB": 1}, "memoryGB"),
        ({"hdDiskSizeGB": 4096}, "hdDiskSizeGB"),
    ):
        body = dms.db_body(tenant_free, provisioningConfig={"type": "SINGLE_NODE", "hwConfig": hw})
        _, message = error_of(dms.call("POST", "/databases", tenant_free.admin, json=body))
        assert message.startswith(f"provisioningConfig.hwConfig.{field}:")


def test_plans_mode_requires_plan(dms: SimulatorClient) -> None:
    tenant = dms.tenant(instance_mode="PLANS_MODE")
    sized = dms.db_body(
        tenant, provisioningConfig={"type": "SINGLE_NODE", "hwConfig": {"cpuCores": 2}}
    )
    _, message = error_of(dms.call("POST", "/databases", tenant.admin, json=sized))
    assert message.startswith("provisioningConfig.hwConfig.instancePlanId:")
    plan = dms.call(
        "POST",
        "/instancetype",
        dms.provider(),
        json={"name": unique_name("plan"), "cpu": 4, "memory": 8},
    ).json()
    both = dms.db_body(
        tenant,
        provisioningConfig={"hwConfig": {"instancePlanId": plan["id"], "memoryGB": 8}},
    )
    _, message = error_of(dms.call("POST", "/databases", tenant.admin, json=both))
    assert "cannot be combined" in message
    unknown = dms.db_body(tenant, provisioningConfig={"hwConfig": {"instancePlanId": "nope"}})
    _, message = error_of(dms.call("POST", "/databases", tenant.admin, json=unknown))
    assert "'nope'" in message
    task, detail = dms.create_db(
        tenant, provisioningConfig={"hwConfig": {"instancePlanId": plan["id"]}}
    )
    assert task["status"] == "SUCCESS"
    assert detail["hwConfig"]["cpuCores"] == 4
    assert detail["hwConfig"]["memoryGB"] == 8
    assert detail["hwConfig"]["instancePlanId"] == plan["id"]


def test_unique_names(dms: SimulatorClient, tenant_free: Any) -> None:
    provider = dms.provider()
    suffix = f"{unique_name('s')}.example.com"
    org = dms.create_org(dbFqdnSuffix=suffix)
    same_name = {
        "companyName": org["companyName"],
        "email": "a@b.example",
        "instanceMode": "FREE_MODE",
    }
    kind, message = error_of(dms.call("POST", "/orgs", provider, json=same_name))
    assert (kind, message.split(":")[0]) == ("ALREADY_EXISTS", "companyName")
    same_suffix = {**same_name, "companyName": unique_name("org"), "dbFqdnSuffix": suffix}
    kind, message = error_of(dms.call("POST", "/orgs", provider, json=same_suffix))
    assert (kind, message.split(":")[0]) == ("ALREADY_EXISTS", "dbFqdnSuffix")

    _user, email = dms.create_user(org["id"], ["ORG_USER"])
    again = {
        "firstName": "A",
        "lastName": "B",
        "email": email.upper(),
        "password": USER_PASSWORD,
        "tenantId": org["id"],
        "roles": ["ORG_USER"],
    }
    kind, message = error_of(dms.call("POST", "/users", provider, json=again))
    assert (kind, message.split(":")[0]) == ("ALREADY_EXISTS", "email")

    plan = {"name": unique_name("plan"), "cpu": 2, "memory": 4}
    assert dms.call("POST", "/instancetype", provider, json=plan).status_code == 200
    kind, message = error_of(dms.call("POST", "/instancetype", provider, json=plan))
    assert (kind, message.split(":")[0]) == ("ALREADY_EXISTS", "name")

    _, detail = dms.create_db(tenant_free)
    body = dms.db_body(tenant_free, instanceName=detail["instanceName"])
    kind, message = error_of(dms.call("POST", "/databases", tenant_free.admin, json=body))
    assert (kind, message.split(":")[0]) == ("ALREADY_EXISTS", "instanceName")


def test_plan_crud(dms: SimulatorClient) -> None:
    provider = dms.provider()
    plan = dms.call(
        "POST", "/instancetype", provider, json={"name": unique_name("plan"), "cpu": 2, "memory": 4}
    ).json()
    assert plan["deleted"] is False
    changed = dms.call("PUT", "/instancetype", provider, json={**plan, "cpu": 8, "memory": 16})
    assert changed.status_code == 200
    assert changed.json()["cpu"] == 8
    listed = dms.call("GET", "/instancetype", provider).json()
    assert isinstance(listed, list)
    assert plan["id"] in [item["id"] for item in listed]
    assert dms.call("DELETE", f"/instancetype/{plan['id']}", provider).status_code == 200
    listed = dms.call("GET", "/instancetype", provider).json()
    assert plan["id"] not in [item["id"] for item in listed]
    assert dms.call("DELETE", f"/instancetype/{plan['id']}", provider).status_code == 404


def test_org_update(dms: SimulatorClient) -> None:
    org = dms.create_org()
    new_name = unique_name("renamed")
    response = dms.call(
        "PUT",
        f"/orgs/{org['id']}",
        dms.provider(),
        json={"companyName": new_name, "instanceMode": "PLANS_MODE"},
    )
    assert response.status_code == 200
    fetched = dms.call("GET", f"/orgs/{org['id']}", dms.provider()).json()
    assert fetched["companyName"] == new_name
    assert fetched["instanceMode"] == "PLANS_MODE"
    assert dms.call("GET", "/orgs/unknown-org", dms.provider()).status_code == 404


def test_database_ca_download(dms: SimulatorClient, tenant_free: Any) -> None:
    response = dms.call(
        "GET", f"/orgs/{tenant_free.org['id']}/download-database-ca", tenant_free.admin
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/x-pem-file")
    assert response.text.startswith("-----BEGIN CERTIFICATE-----")


def test_templates_seeded(dms: SimulatorClient) -> None:
    page = dms.call("GET", "/templates", dms.provider(), params={"size": 100}).json()
    builds = {(t["logicalBuildId"], t["serviceType"], t["version"]) for t in page["content"]}
    assert ("00000002-0000-0000-0000-000000011100", "POSTGRES", "11.10.0") in builds
    assert ("00000003-0000-0000-0000-000000001270", "POSTGRES", "12.7.0") in builds
    assert ("00000001-0000-0000-0000-000000010150", "POSTGRES", "10.15.0") in builds
    assert ("00000002-0000-0000-0000-000000008023", "MYSQL", "8.0.23") in builds
    assert ("00000001-0000-0000-0000-000000000080", "MYSQL", "8.0") in builds
    template = page["content"][0]
    assert template["status"] == "PUBLISHED"
    assert template["systemDefaults"]["cpu"] == {"min": 1, "max": 16, "defaultCPU": 2}


def test_environment_has_datastores(dms: SimulatorClient, tenant_free: Any) -> None:
    stores = tenant_free.environment["vcVmDatastores"]["list"]
    assert [s["datastoreName"] for s in stores] == ["vsanDatastore", "nfsDatastore"]
    assert [s["isDefault"] for s in stores] == [True, False]
    assert tenant_free.environment["tenantId"] == tenant_free.org["id"]


def test_paging_and_sorting(dms: SimulatorClient) -> None:
    tenant = dms.tenant()
    names = [f"page-{index}-{unique_name('d')}" for index in range(5)]
    for name in names:
        dms.create_db(tenant, instanceName=name)
    first = dms.call("GET", "/databases", tenant.admin, params={"size": 2}).json()
    assert first["page"] == {"size": 2, "totalElements": 5, "totalPages": 3, "number": 0}
    assert len(first["content"]) == 2
    last = dms.call("GET", "/databases", tenant.admin, params={"size": 2, "page": 2}).json()
    assert len(last["content"]) == 1
    descending = dms.call(
        "GET", "/databases", tenant.admin, params={"sort": "instanceName,desc", "size": 10}
    ).json()
    assert [item["instanceName"] for item in descending["content"]] == sorted(names, reverse=True)
    by_name = dms.call("GET", "/databases", tenant.admin, params={"instanceName": names[3]}).json()
    assert [item["instanceName"] for item in by_name["content"]] == [names[3]]
    by_env = dms.call(
        "GET", "/databases", tenant.admin, params={"environmentId": tenant.environment["id"]}
    ).json()
    assert by_env["page"]["totalElements"] == 5
    clamped = dms.call("GET", "/databases", tenant.admin, params={"size": 5000}).json()
    assert clamped["page"]["size"] == 2000
    _kind, message = error_of(
        dms.call("GET", "/databases", tenant.admin, params={"sort": "noSuchField"})
    )
    assert message.startswith("sort:")
    _, message = error_of(dms.call("GET", "/databases", tenant.admin, params={"page": "x"}))
    assert message.startswith("page:")


@pytest.fixture(scope="module")
def tenant_free(dms: SimulatorClient) -> Any:
    return dms.tenant()
