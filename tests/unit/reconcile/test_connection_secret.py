"""The connection Secret's content and ownership."""

from __future__ import annotations

import base64
from typing import Any

from dms_operator.models.database import Engine
from dms_operator.reconcile.connection_secret import (
    ConnectionDetails,
    Owner,
    Ownership,
    connection_data,
    needs_write,
    ownership,
    secret_body,
    stored_password,
)

OWNER = Owner("orders", "uid-1")


def details(**fields: Any) -> ConnectionDetails:
    values: dict[str, Any] = {
        "engine": Engine.POSTGRES,
        "host": "orders.db.example",
        "port": 5432,
        "database": "orders",
        "username": "dbadmin",
        "password": "Pa:ss/w@rd1!",
        "ca_pem": None,
    }
    values.update(fields)
    return ConnectionDetails(**values)


def test_postgres_keys() -> None:
    data = connection_data(details())

    assert data == {
        "type": "postgresql",
        "provider": "vmware-dms",
        "host": "orders.db.example",
        "port": "5432",
        "database": "orders",
        "username": "dbadmin",
        "password": "Pa:ss/w@rd1!",
        "uri": "postgresql://dbadmin:Pa%3Ass%2Fw%40rd1%21@orders.db.example:5432/orders",
        "jdbc-url": "jdbc:postgresql://orders.db.example:5432/orders",
    }


def test_mysql_keys() -> None:
    data = connection_data(details(engine=Engine.MYSQL, port=3306, password="Secret12!"))

    assert data["type"] == "mysql"
    assert data["uri"] == "mysql://dbadmin:Secret12%21@orders.db.example:3306/orders"
    assert data["jdbc-url"] == "jdbc:mysql://orders.db.example:3306/orders"


def test_jdbc_url_has_no_credentials() -> None:
    data = connection_data(details())

    assert "dbadmin" not in data["jdbc-url"]
    assert "Pa" not in data["jdbc-url"]


def test_ca_included_when_known() -> None:
    data = connection_data(details(ca_pem="-----BEGIN CERTIFICATE-----"))

    assert data["ca.crt"] == "-----BEGIN CERTIFICATE-----"


def test_pending_secret_has_password_but_no_host() -> None:
    data = connection_data(details(host=None))

    assert data["password"] == "Pa:ss/w@rd1!"
    assert "host" not in data
    assert "uri" not in data


def test_ipv6_host_in_brackets() -> None:
    data = connection_data(details(host="fd00::5"))

    assert data["jdbc-url"] == "jdbc:postgresql://[fd00::5]:5432/orders"


def test_password_not_in_repr() -> None:
    assert "Pa:ss" not in repr(details())


def test_body_is_owned_and_typed() -> None:
    body = secret_body("default", "orders-connection", OWNER, Engine.POSTGRES, {"password": "x"})

    assert body["type"] == "servicebinding.io/postgresql"
    reference = body["metadata"]["ownerReferences"][0]
    assert reference["uid"] == "uid-1"
    assert reference["controller"] is True
    assert body["data"] == {"password": base64.b64encode(b"x").decode()}


def existing(body: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    copy = {**body, "metadata": {**body["metadata"], **metadata}}
    return copy


def test_ownership() -> None:
    body = secret_body("default", "orders-connection", OWNER, Engine.POSTGRES, {"password": "x"})

    assert ownership(None, OWNER) is Ownership.ABSENT
    assert ownership(body, OWNER) is Ownership.OWNED
    assert ownership(existing(body, ownerReferences=[]), OWNER) is Ownership.RETAINED
    assert ownership(existing(body, ownerReferences=[], labels={}), OWNER) is Ownership.FOREIGN
    other = [{"uid": "uid-2", "controller": True}]
    assert ownership(existing(body, ownerReferences=other), OWNER) is Ownership.FOREIGN


def test_stored_password_only_from_own_secret() -> None:
    body = secret_body(
        "default", "orders-connection", OWNER, Engine.POSTGRES, {"password": "Secret12!"}
    )

    assert stored_password(body, OWNER) == "Secret12!"
    assert stored_password(existing(body, ownerReferences=[], labels={}), OWNER) is None


def test_needs_write_only_on_change() -> None:
    body = secret_body("default", "orders-connection", OWNER, Engine.POSTGRES, {"password": "x"})
    changed = secret_body("default", "orders-connection", OWNER, Engine.POSTGRES, {"password": "y"})

    assert needs_write(body, OWNER, body) is False
    assert needs_write(body, OWNER, changed) is True
    assert needs_write(None, OWNER, body) is True
    assert needs_write(existing(body, ownerReferences=[]), OWNER, body) is True
