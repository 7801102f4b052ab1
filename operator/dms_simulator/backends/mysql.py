"""A MySQL or MariaDB server that hosts the simulator's MySQL databases (PyMySQL)."""

from __future__ import annotations

from typing import Any

import pymysql

from dms_simulator.backends import AdminUrl, BackendError, parse_admin_url
from dms_simulator.seed import MYSQL

_CONNECT_TIMEOUT_SECONDS = 10


def _quote_identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _error_text(error: Exception) -> str:
    # PyMySQL errors carry (code, message); the server's messages name users, not passwords.
    if len(error.args) >= 2:
        return str(error.args[1])
    return type(error).__name__


class MysqlBackend:
    engine = MYSQL

    def __init__(self, url: str) -> None:
        self.admin: AdminUrl = parse_admin_url(url, ("mysql", "mariadb"), 3306)

    def describe(self) -> str:
        return f"MySQL server {self.admin.host}:{self.admin.port}"

    def _connect(self) -> Any:
        try:
            return pymysql.connect(
                host=self.admin.host,
                port=self.admin.port,
                user=self.admin.user,
                password=self.admin.password,
                database=self.admin.database or None,
                autocommit=True,
                connect_timeout=_CONNECT_TIMEOUT_SECONDS,
            )
        except pymysql.Error as error:
            raise BackendError(
                f"cannot connect to the {self.describe()}: {_error_text(error)}"
            ) from None

    def check(self) -> None:
        connection = self._connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        finally:
            connection.close()

    def create_database(self, db_name: str, user: str, password: str) -> None:
        connection = self._connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (db_name,)
                )
                if cursor.fetchone():
                    raise BackendError(
                        f"database '{db_name}' already exists on the {self.describe()}, which "
                        "all simulated MySQL databases share; choose another dbName"
                    )
                cursor.execute("SELECT 1 FROM mysql.user WHERE User = %s", (user,))
                if cursor.fetchone():
                    raise BackendError(
                        f"login '{user}' already exists on the {self.describe()}, which all "
                        "simulated MySQL databases share; choose another adminUser"
                    )
                try:
                    # PyMySQL quotes the parameters on the client, so they work in DDL.
                    cursor.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (user, password))
                    cursor.execute(f"CREATE DATABASE {_quote_identifier(db_name)}")
                    cursor.execute(
                        f"GRANT ALL PRIVILEGES ON {_quote_identifier(db_name)}.* TO %s@'%%'",
                        (user,),
                    )
                except pymysql.Error as error:
                    self._drop(cursor, db_name, user)
                    raise BackendError(
                        f"creating database '{db_name}' on the {self.describe()} failed: "
                        f"{_error_text(error)}"
                    ) from None
        finally:
            connection.close()

    def drop_database(self, db_name: str, user: str) -> None:
        connection = self._connect()
        try:
            with connection.cursor() as cursor:
                self._drop(cursor, db_name, user)
        except pymysql.Error as error:
            raise BackendError(
                f"dropping database '{db_name}' on the {self.describe()} failed: "
                f"{_error_text(error)}"
            ) from None
        finally:
            connection.close()

    @staticmethod
    def _drop(cursor: Any, db_name: str, user: str) -> None:
        cursor.execute(f"DROP DATABASE IF EXISTS {_quote_identifier(db_name)}")
        cursor.execute("DROP USER IF EXISTS %s@'%%'", (user,))

    def set_login_enabled(self, user: str, enabled: bool) -> None:
        connection = self._connect()
        try:
            with connection.cursor() as cursor:
                lock = "UNLOCK" if enabled else "LOCK"
                cursor.execute(f"ALTER USER %s@'%%' ACCOUNT {lock}", (user,))
                if not enabled:
                    cursor.execute(
                        "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = %s", (user,)
                    )
                    for (session_id,) in cursor.fetchall():
                        # A session may end between the query and the kill.
                        try:
                            cursor.execute("KILL %s", (int(session_id),))
                        except pymysql.Error:
                            continue
        except pymysql.Error as error:
            raise BackendError(
                f"changing login '{user}' on the {self.describe()} failed: {_error_text(error)}"
            ) from None
        finally:
            connection.close()
