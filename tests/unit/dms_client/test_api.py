"""API calls: paths, query parameters, bodies, X-Org-ID, paging and response parsing."""

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from dms_operator.clients.dms.errors import DMSUnexpectedResponseError
from dms_operator.clients.dms.session import DMSSession
from dms_operator.models.dms import (
    BackupConfig,
    CreateDatabaseRequest,
    DbConfig,
    DbOption,
    InstancePlanCreate,
    MaintenanceConfig,
    OrgCreate,
    OrgUpdate,
    ScaleRequest,
    UserCreate,
)

from .fakes import ORG_ID, FakeDMS, error_response, json_response, page

DB_ID = "22222222-2222-2222-2222-222222222222"
DATABASE = {"id": DB_ID, "instanceName": "orders-pg", "status": "ONLINE"}
TENANT = {"id": ORG_ID, "companyName": "Acme", "email": "a@example.com"}
USER = {"id": 7, "email": "admin@acme.example", "tenantId": ORG_ID, "roles": ["ORG_ADMIN"]}
PLAN = {"id": "p-1", "name": "small", "cpu": 2, "memory": 4}
TASK_REF = {"task_id": "t-1"}

Call = Callable[[DMSSession], Awaitable[Any]]

# (call, method, path, response body, expected JSON request body or None)
CASES: list[tuple[str, Call, str, str, Any, Any]] = [
    (
        "get_org",
        lambda s: s.get_org(ORG_ID),
        "GET",
        f"/provider/orgs/{ORG_ID}",
        TENANT,
        None,
    ),
    (
        "create_org",
        lambda s: s.create_org(
            OrgCreate(company_name="Acme", email="a@example.com", db_fqdn_suffix="acme.example")
        ),
        "POST",
        "/provider/orgs",
        TENANT,
        {
            "companyName": "Acme",
            "email": "a@example.com",
            "instanceMode": "FREE_MODE",
            "dbFqdnSuffix": "acme.example",
        },
    ),
    (
        "update_org",
        lambda s: s.update_org(ORG_ID, OrgUpdate(instance_mode="PLANS_MODE")),
        "PUT",
        f"/provider/orgs/{ORG_ID}",
        TENANT,
        {"instanceMode": "PLANS_MODE"},
    ),
    (
        "create_user",
        lambda s: s.create_user(
            UserCreate(
                first_name="Ada",
                last_name="Admin",
                email="admin@acme.example",
                password=SecretStr("Adm1n!pass"),
                tenant_id=ORG_ID,
                roles=["ORG_ADMIN"],
            )
        ),
        "POST",
        "/provider/users",
        USER,
        {
            "firstName": "Ada",
            "lastName": "Admin",
            "email": "admin@acme.example",
            "password": "Adm1n!pass",
            "tenantId": ORG_ID,
            "roles": ["ORG_ADMIN"],
        },
    ),
    ("delete_user", lambda s: s.delete_user(7), "DELETE", "/provider/users/7", {}, None),
    (
        "create_instance_plan",
        lambda s: s.create_instance_plan(InstancePlanCreate(name="small", cpu=2, memory=4)),
        "POST",
        "/provider/instancetype",
        PLAN,
        {"name": "small", "cpu": 2, "memory": 4},
    ),
    (
        "update_instance_plan",
        lambda s: s.update_instance_plan("p-1", InstancePlanCreate(name="small", cpu=4, memory=8)),
        "PUT",
        "/provider/instancetype",
        PLAN,
        {"id": "p-1", "name": "small", "cpu": 4, "memory": 8},
    ),
    (
        "delete_instance_plan",
        lambda s: s.delete_instance_plan("p-1"),
        "DELETE",
        "/provider/instancetype/p-1",
        {},
        None,
    ),
    (
        "get_database",
        lambda s: s.get_database(ORG_ID, DB_ID),
        "GET",
        f"/provider/databases/{DB_ID}",
        DATABASE,
        None,
    ),
    (
        "delete_database",
        lambda s: s.delete_database(ORG_ID, DB_ID),
        "DELETE",
        f"/provider/databases/{DB_ID}",
        TASK_REF,
        None,
    ),
    (
        "power_on",
        lambda s: s.power_on(ORG_ID, DB_ID),
        "PUT",
        f"/provider/databases/{DB_ID}/power-on",
        TASK_REF,
        {},
    ),
    (
        "power_off",
        lambda s: s.power_off(ORG_ID, DB_ID),
        "PUT",
        f"/provider/databases/{DB_ID}/power-off",
        TASK_REF,
        {},
    ),
    (
        "scale",
        lambda s: s.scale(ORG_ID, DB_ID, ScaleRequest(cpu=4, memory=16)),
        "PUT",
        f"/provider/databases/{DB_ID}/scale-db-config",
        TASK_REF,
        {"cpu": 4, "memory": 16},
    ),
    (
        "extend_disk",
        lambda s: s.extend_disk(ORG_ID, DB_ID, 80),
        "PUT",
        f"/provider/databases/{DB_ID}/extend-disk",
        TASK_REF,
        {"hdDiskSizeGB": 80},
    ),
    (
        "change_db_options",
        lambda s: s.change_db_options(ORG_ID, DB_ID, {"max_connections": "300"}),
        "PUT",
        f"/provider/databases/{DB_ID}/db-options",
        TASK_REF,
        {"dbOptions": [{"key": "max_connections", "value": "300"}]},
    ),
    (
        "change_db_options_list",
        lambda s: s.change_db_options(ORG_ID, DB_ID, [DbOption(key="work_mem", value="64MB")]),
        "PUT",
        f"/provider/databases/{DB_ID}/db-options",
        TASK_REF,
        {"dbOptions": [{"key": "work_mem", "value": "64MB"}]},
    ),
    (
        "set_client_ssl",
        lambda s: s.set_client_ssl(ORG_ID, DB_ID, True),
        "PUT",
        f"/provider/databases/{DB_ID}/client-ssl",
        TASK_REF,
        {"requireClientSsl": True},
    ),
    (
        "update_backup_config",
        lambda s: s.update_backup_config(
            ORG_ID,
            DB_ID,
            BackupConfig(num_local_backup_days=5, automated_backup_start_time="03:00"),
        ),
        "PUT",
        f"/provider/databases/{DB_ID}/backup-config",
        DATABASE,
        {"numLocalBackupDays": 5, "automatedBackupStartTime": "03:00"},
    ),
    (
        "update_maintenance_config",
        lambda s: s.update_maintenance_config(
            ORG_ID,
            DB_ID,
            MaintenanceConfig(maintenance_window_start_day="SUNDAY", maintenance_window_duration=2),
        ),
        "PUT",
        f"/provider/databases/{DB_ID}/maintenance-config",
        DATABASE,
        {"maintenanceWindowStartDay": "SUNDAY", "maintenanceWindowDuration": "2"},
    ),
    (
        "create_backup",
        lambda s: s.create_backup(ORG_ID, DB_ID, "before-upgrade"),
        "POST",
        f"/provider/databases/{DB_ID}/backup",
        TASK_REF,
        {"backupName": "before-upgrade", "automated": False},
    ),
    (
        "get_task",
        lambda s: s.get_task(ORG_ID, "t-1"),
        "GET",
        "/provider/mastertasks/t-1",
        {"id": "t-1", "status": "SUCCESS", "percent": 100},
        None,
    ),
]


@pytest.mark.parametrize(
    ("call", "method", "path", "response", "expected_body"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_call_sends_documented_request(
    fake_dms: FakeDMS,
    session: DMSSession,
    call: Call,
    method: str,
    path: str,
    response: Any,
    expected_body: Any,
) -> None:
    fake_dms.on(method, path, json_response(200, response))

    await call(session)

    (request,) = fake_dms.data_requests()
    assert request.method == method
    assert request.url.path == path
    assert request.headers["X-Org-ID"] == ORG_ID
    if expected_body is None:
        assert request.content == b""
    else:
        assert request.headers["Content-Type"] == "application/json"
        assert json.loads(request.content) == expected_body


async def test_create_database_returns_task_ref(fake_dms: FakeDMS, session: DMSSession) -> None:
    fake_dms.on("POST", "/provider/databases", json_response(200, {"task_id": "t-9"}))
    request = CreateDatabaseRequest(
        environment_id="env-1",
        template_id="00000003-0000-0000-0000-000000001270",
        instance_name="orders-pg",
        data_store_name="vsanDatastore",
        db_config=DbConfig(
            db_name="orders", admin_user="dbadmin", admin_password=SecretStr("Db!Passw0rd")
        ),
    )

    ref = await session.create_database("org-x", request)

    assert ref.task_id == "t-9"
    (sent,) = fake_dms.data_requests()
    assert sent.headers["X-Org-ID"] == "org-x"
    body = json.loads(sent.content)
    assert body["dbConfig"]["adminPassword"] == "Db!Passw0rd"
    assert body["instanceName"] == "orders-pg"
    assert "provisioningConfig" not in body


async def test_provider_calls_send_home_org(fake_dms: FakeDMS, session: DMSSession) -> None:
    target_org = "33333333-3333-3333-3333-333333333333"
    fake_dms.on("GET", f"/provider/orgs/{target_org}", json_response(200, TENANT))

    await session.get_org(target_org)

    (request,) = fake_dms.data_requests()
    assert request.headers["X-Org-ID"] == ORG_ID


async def test_list_follows_pages(fake_dms: FakeDMS, session: DMSSession) -> None:
    pages = [
        page([{**TENANT, "id": f"o-{n}"} for n in range(20)], number=0, total_pages=3),
        page([{**TENANT, "id": f"o-{n}"} for n in range(20, 40)], number=1, total_pages=3),
        page([{**TENANT, "id": "o-40"}], number=2, total_pages=3),
    ]
    fake_dms.on("GET", "/provider/orgs", *(json_response(200, p) for p in pages))

    orgs = await session.list_orgs()

    assert [o.id for o in orgs] == [f"o-{n}" for n in range(41)]
    params = [dict(r.url.params) for r in fake_dms.data_requests()]
    assert params == [
        {"page": "0", "size": "20"},
        {"page": "1", "size": "20"},
        {"page": "2", "size": "20"},
    ]


async def test_list_page_count_is_bounded(fake_dms: FakeDMS, session: DMSSession) -> None:
    endless = page([TENANT] * 20, number=0, total_pages=1000)
    fake_dms.on("GET", "/provider/orgs", json_response(200, endless))

    with pytest.raises(DMSUnexpectedResponseError, match="more than 5 pages"):
        await session.list_orgs()

    assert len(fake_dms.data_requests()) == 5


async def test_list_databases_filters_by_name(fake_dms: FakeDMS, session: DMSSession) -> None:
    # An appliance that ignores the instanceName filter returns everything.
    everything = page(
        [
            {"id": "a", "instanceName": "orders-pg"},
            {"id": "b", "instanceName": "orders-pg-2"},
            {"id": "c", "instanceName": "billing"},
        ]
    )
    fake_dms.on("GET", "/provider/databases", json_response(200, everything))

    found = await session.list_databases(ORG_ID, instance_name="orders-pg")

    assert [db.id for db in found] == ["a"]
    (request,) = fake_dms.data_requests()
    assert request.url.params["instanceName"] == "orders-pg"


async def test_list_users_sends_and_applies_filters(fake_dms: FakeDMS, session: DMSSession) -> None:
    users = page([USER, {**USER, "id": 8, "email": "other@acme.example"}])
    fake_dms.on("GET", "/provider/users", json_response(200, users))

    found = await session.list_users(tenant_id=ORG_ID, email="Admin@Acme.example")

    assert [u.id for u in found] == [7]
    params = fake_dms.data_requests()[0].url.params
    assert params["tenantId"] == ORG_ID
    assert params["email"] == "Admin@Acme.example"


async def test_list_environments(fake_dms: FakeDMS, session: DMSSession) -> None:
    environments = page([{"id": "env-1", "name": "env-a", "tenantId": ORG_ID}])
    fake_dms.on("GET", "/provider/environments/search/withOrgId", json_response(200, environments))

    found = await session.list_environments(ORG_ID)

    assert [e.id for e in found] == ["env-1"]
    request = fake_dms.data_requests()[0]
    assert request.url.params["tenantId"] == ORG_ID
    assert request.headers["X-Org-ID"] == ORG_ID


async def test_list_templates_and_backups(fake_dms: FakeDMS, session: DMSSession) -> None:
    templates = page([{"logicalBuildId": "t", "serviceType": "POSTGRES", "version": "12.7.0"}])
    backups = page([{"backupId": "b-1", "backupName": "nightly", "dbId": DB_ID}])
    fake_dms.on("GET", "/provider/templates", json_response(200, templates))
    fake_dms.on("GET", "/provider/backups", json_response(200, backups))

    found_templates = await session.list_templates()
    found_backups = await session.list_backups(ORG_ID, DB_ID)

    assert [t.version for t in found_templates] == ["12.7.0"]
    assert [b.backup_id for b in found_backups] == ["b-1"]
    assert fake_dms.data_requests()[1].url.params["db"] == DB_ID


async def test_instance_plans_are_a_plain_array(fake_dms: FakeDMS, session: DMSSession) -> None:
    fake_dms.on("GET", "/provider/instancetype", json_response(200, [PLAN, {**PLAN, "id": "p-2"}]))

    plans = await session.list_instance_plans()

    assert [p.id for p in plans] == ["p-1", "p-2"]
    assert plans[0].memory == 4


async def test_download_database_ca(fake_dms: FakeDMS, session: DMSSession) -> None:
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    path = f"/provider/orgs/{ORG_ID}/download-database-ca"
    fake_dms.on(
        "GET",
        path,
        httpx.Response(200, text=pem, headers={"Content-Type": "application/x-pem-file"}),
    )

    assert await session.download_database_ca(ORG_ID) == pem
    assert fake_dms.data_requests()[0].headers["Accept"].startswith("application/x-pem-file")

    fake_dms.on("GET", path, error_response(404, "NOT_FOUND", "no CA"))
    assert await session.download_database_ca(ORG_ID) is None


async def test_path_parameters_are_encoded(fake_dms: FakeDMS, session: DMSSession) -> None:
    # The fake matches decoded paths; the raw path shows what went over the wire.
    fake_dms.on("GET", "/provider/mastertasks/../orgs", json_response(200, {"id": "x"}))

    await session.get_task(ORG_ID, "../orgs")

    (request,) = fake_dms.data_requests()
    assert request.url.raw_path == b"/provider/mastertasks/..%2Forgs"


async def test_malformed_body_raises_unexpected_response(
    fake_dms: FakeDMS, session: DMSSession
) -> None:
    fake_dms.on("GET", f"/provider/databases/{DB_ID}", json_response(200, {"status": "ONLINE"}))

    with pytest.raises(DMSUnexpectedResponseError) as caught:
        await session.get_database(ORG_ID, DB_ID)

    assert "does not match the expected shape" in str(caught.value)
    assert "id" in str(caught.value)
    assert caught.value.__cause__ is not None
