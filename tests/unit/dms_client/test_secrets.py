"""Passwords and tokens never appear in reprs, dumps, exception messages or log records."""

import logging

import pytest
from pydantic import SecretStr

from dms_operator.clients.dms.errors import DMSAuthenticationError, DMSInvalidRequestError
from dms_operator.clients.dms.pool import DMSClientPool
from dms_operator.clients.dms.session import DMSSession
from dms_operator.models.dms import CreateDatabaseRequest, DbConfig, UserCreate

from .fakes import ORG_ID, PASSWORD, FakeClock, FakeDMS, credentials, error_response, json_response

USER_PASSWORD = "Us3r!secret"
DB_PASSWORD = "Db!Passw0rd9"


def user_request() -> UserCreate:
    return UserCreate(
        first_name="Ada",
        last_name="Admin",
        email="ada@example.com",
        password=SecretStr(USER_PASSWORD),
        roles=["ORG_ADMIN"],
    )


def database_request() -> CreateDatabaseRequest:
    return CreateDatabaseRequest(
        environment_id="env",
        template_id="tpl",
        instance_name="orders-pg",
        data_store_name="ds",
        db_config=DbConfig(
            db_name="orders", admin_user="dbadmin", admin_password=SecretStr(DB_PASSWORD)
        ),
    )


def test_reprs_and_dumps_mask_passwords() -> None:
    user = user_request()
    database = database_request()
    creds = credentials()

    for text in (
        repr(user),
        str(user),
        repr(database),
        str(database),
        repr(creds),
        str(creds),
        str(user.model_dump()),
        str(user.model_dump(mode="json", by_alias=True)),
        database.model_dump_json(),
        str(creds.model_dump()),
    ):
        assert USER_PASSWORD not in text
        assert DB_PASSWORD not in text
        assert PASSWORD not in text


def test_to_wire_reveals_passwords() -> None:
    assert user_request().to_wire()["password"] == USER_PASSWORD
    assert database_request().to_wire()["dbConfig"]["adminPassword"] == DB_PASSWORD


def test_secret_values_are_collected() -> None:
    assert user_request().secret_values() == [USER_PASSWORD]
    assert database_request().secret_values() == [DB_PASSWORD]


def test_fingerprint_does_not_contain_password() -> None:
    fingerprint = credentials().fingerprint

    assert PASSWORD not in fingerprint
    assert len(fingerprint) == 64


async def test_echoed_password_is_scrubbed_from_error(
    fake_dms: FakeDMS, session: DMSSession
) -> None:
    fake_dms.on(
        "POST",
        "/provider/users",
        error_response(400, "VALIDATION_ERROR", f"password '{USER_PASSWORD}' is too weak"),
    )

    with pytest.raises(DMSInvalidRequestError) as caught:
        await session.create_user(user_request())

    assert USER_PASSWORD not in str(caught.value)
    assert caught.value.dms_message == "password '***' is too weak"


async def test_echoed_login_password_is_scrubbed(fake_dms: FakeDMS, session: DMSSession) -> None:
    fake_dms.login_failures = [
        error_response(400, "AUTHENTICATION_FAILURE", f"bad password {PASSWORD}")
    ]

    with pytest.raises(DMSAuthenticationError) as caught:
        await session.get_database(ORG_ID, "db-1")

    assert PASSWORD not in str(caught.value)
    assert "***" in str(caught.value)


async def test_session_repr_hides_token(session: DMSSession, fake_dms: FakeDMS) -> None:
    fake_dms.on(
        "GET", "/provider/databases/db-1", json_response(200, {"id": "db-1", "instanceName": "x"})
    )
    await session.get_database(ORG_ID, "db-1")

    (token,) = fake_dms.valid_tokens
    assert token.removeprefix("Bearer ") not in repr(session)
    assert PASSWORD not in repr(session)
    assert "logged_in=True" in repr(session)


async def test_logs_never_contain_secrets(
    fake_dms: FakeDMS, clock: FakeClock, caplog: pytest.LogCaptureFixture, pool: DMSClientPool
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_dms.on(
        "GET",
        "/provider/databases/db-1",
        error_response(503, "INTERNAL_ERROR", "busy"),
        json_response(200, {"id": "db-1", "instanceName": "orders-pg"}),
    )
    fake_dms.on(
        "POST",
        "/provider/databases",
        error_response(400, "VALIDATION_ERROR", f"adminPassword {DB_PASSWORD} rejected"),
    )
    session = pool.session_for(credentials())

    await session.get_database(ORG_ID, "db-1")  # login, a retry
    clock.advance(1800 - 30)
    await session.get_database(ORG_ID, "db-1")  # renewal
    fake_dms.revoke_all()
    await session.get_database(ORG_ID, "db-1")  # 401, fresh login
    with pytest.raises(DMSInvalidRequestError):
        await session.create_database(ORG_ID, database_request())

    assert fake_dms.renewals == 1
    assert fake_dms.logins == 2
    tokens = {t.removeprefix("Bearer ") for t in fake_dms.issued_tokens}
    assert len(tokens) == 3
    assert caplog.records, "the flow above logs at DEBUG and INFO"
    for record in caplog.records:
        text = record.getMessage() + " " + (record.exc_text or "")
        for secret in (PASSWORD, DB_PASSWORD, *tokens):
            assert secret not in text, f"{record.name}: {text}"
