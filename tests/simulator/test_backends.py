"""Databases created through the simulator exist on the real PostgreSQL and
MariaDB servers, with the credentials given at creation."""

from __future__ import annotations

from typing import Any

import psycopg
import pymysql
import pytest

from dms_testenv.databases import MariaDbServer, PostgresServer
from dms_testenv.simulator import DB_PASSWORD, MYSQL_8_TEMPLATE, SimulatorClient

pytestmark = pytest.mark.databases


def pg_select_one(database: dict[str, Any]) -> Any:
    config = database["dbInstanceConfig"]
    with psycopg.connect(
        host=database["fqdn"] or database["ip"],
        port=config["port"],
        user=config["adminUser"],
        password=DB_PASSWORD,
        dbname=config["dbName"],
        connect_timeout=5,
    ) as connection:
        return connection.execute("SELECT 1").fetchone()


def mysql_select_one(database: dict[str, Any]) -> Any:
    config = database["dbInstanceConfig"]
    connection = pymysql.connect(
        host=database["fqdn"] or database["ip"],
        port=config["port"],
        user=config["adminUser"],
        password=DB_PASSWORD,
        database=config["dbName"],
        connect_timeout=5,
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()
    finally:
        connection.close()


def run_task(dms: SimulatorClient, tenant: Any, method: str, path: str) -> dict[str, Any]:
    response = dms.call(method, path, tenant.admin, json={})
    assert response.status_code == 200, response.text
    task = dms.wait_task(tenant.admin, response.json()["task_id"])
    assert task["status"] == "SUCCESS", task
    return task


def test_postgres_database_is_real(dms: SimulatorClient, postgres_server: PostgresServer) -> None:
    tenant = dms.tenant()
    task, database = dms.create_db(tenant)
    assert task["status"] == "SUCCESS", task
    assert database["fqdn"] == "127.0.0.1"
    assert database["ip"] == "127.0.0.1"
    assert database["dbInstanceConfig"]["port"] == postgres_server.port
    assert pg_select_one(database) == (1,)
    # A powered-off database refuses new logins.
    run_task(dms, tenant, "PUT", f"/databases/{database['id']}/power-off")
    with pytest.raises(psycopg.OperationalError):
        pg_select_one(database)
    run_task(dms, tenant, "PUT", f"/databases/{database['id']}/power-on")
    assert pg_select_one(database) == (1,)
    run_task(dms, tenant, "DELETE", f"/databases/{database['id']}")
    with pytest.raises(psycopg.OperationalError):
        pg_select_one(database)
    with psycopg.connect(postgres_server.admin_url) as admin:
        name = database["dbInstanceConfig"]["dbName"]
        assert (
            admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            is None
        )


def test_mysql_database_is_real(dms: SimulatorClient, mariadb_server: MariaDbServer) -> None:
    tenant = dms.tenant()
    task, database = dms.create_db(tenant, template=MYSQL_8_TEMPLATE)
    assert task["status"] == "SUCCESS", task
    assert database["dbType"] == "MYSQL"
    assert database["dbInstanceConfig"]["port"] == mariadb_server.port
    assert mysql_select_one(database) == (1,)
    run_task(dms, tenant, "PUT", f"/databases/{database['id']}/power-off")
    with pytest.raises(pymysql.err.OperationalError):
        mysql_select_one(database)
    run_task(dms, tenant, "PUT", f"/databases/{database['id']}/power-on")
    assert mysql_select_one(database) == (1,)
    run_task(dms, tenant, "DELETE", f"/databases/{database['id']}")
    with pytest.raises(pymysql.err.OperationalError):
        mysql_select_one(database)


def test_name_clash_on_shared_server_fails_task(dms: SimulatorClient) -> None:
    first = dms.tenant()
    second = dms.tenant()
    _, existing = dms.create_db(first)
    body = dms.db_body(second)
    body["dbConfig"]["dbName"] = existing["dbInstanceConfig"]["dbName"]
    task, database = dms.create_db(second, body=body)
    assert task["status"] == "FAILED"
    message = task["taskErrorInfo"]["errorMessage"]
    assert existing["dbInstanceConfig"]["dbName"] in message
    assert "already exists" in message
    assert DB_PASSWORD not in message
    assert database["status"] == "FATAL"
    # The failed database can be deleted, and the first one is untouched.
    run_task(dms, second, "DELETE", f"/databases/{database['id']}")
    assert pg_select_one(existing) == (1,)


def test_login_clash_fails_task(dms: SimulatorClient) -> None:
    first = dms.tenant()
    _, existing = dms.create_db(first, template=MYSQL_8_TEMPLATE)
    body = dms.db_body(first, template=MYSQL_8_TEMPLATE)
    body["dbConfig"]["adminUser"] = existing["dbInstanceConfig"]["adminUser"]
    task, _ = dms.create_db(first, body=body)
    assert task["status"] == "FAILED"
    assert "login" in task["taskErrorInfo"]["errorMessage"]
    assert mysql_select_one(existing) == (1,)


def test_out_of_band_delete_drops_real_database(dms: SimulatorClient) -> None:
    tenant = dms.tenant()
    _, database = dms.create_db(tenant)
    assert pg_select_one(database) == (1,)
    response = dms.control("DELETE", f"/databases/{database['id']}")
    assert response.json() == {"deleted": database["id"], "droppedRealDatabase": True}
    assert dms.call("GET", f"/databases/{database['id']}", tenant.admin).status_code == 404
    with pytest.raises(psycopg.OperationalError):
        pg_select_one(database)
