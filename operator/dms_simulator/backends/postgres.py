"""A PostgreSQL server that hosts the simulator's PostgreSQL databases (psycopg 3)."""

from __future__ import annotations

import psycopg
from psycopg import sql

from dms_simulator.backends import AdminUrl, BackendError, parse_admin_url
from dms_simulator.seed import POSTGRES

_CONNECT_TIMEOUT_SECONDS = 10


class PostgresBackend:
    engine = POSTGRES

    def __init__(self, url: str) -> None:
        self.admin: AdminUrl = parse_admin_url(url, ("postgresql", "postgres"), 5432)

    def describe(self) -> str:
        return f"PostgreSQL server {self.admin.host}:{self.admin.port}"

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        try:
            return psycopg.connect(
                host=self.admin.host,
                port=self.admin.port,
                user=self.admin.user,
                password=self.admin.password,
                dbname=self.admin.database or "postgres",
                autocommit=True,
                connect_timeout=_CONNECT_TIMEOUT_SECONDS,
            )
        except psycopg.Error as error:
            raise BackendError(f"cannot connect to the {self.describe()}: {error}") from None

    def check(self) -> None:
        with self._connect() as connection:
            connection.execute("SELECT 1")

    def create_database(self, db_name: str, user: str, password: str) -> None:
        with self._connect() as connection:
            if connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (db_name,)
            ).fetchone():
                raise BackendError(
                    f"database '{db_name}' already exists on the {self.describe()}, which all "
                    "simulated PostgreSQL databases share; choose another dbName"
                )
            if connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,)).fetchone():
                raise BackendError(
                    f"login '{user}' already exists on the {self.describe()}, which all "
                    "simulated PostgreSQL databases share; choose another adminUser"
                )
            try:
                # Utility statements take no bind parameters, so the password
                # goes in as a client-side quoted literal.
                connection.execute(
                    sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                        sql.Identifier(user), sql.Literal(password)
                    )
                )
                connection.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(db_name), sql.Identifier(user)
                    )
                )
                # Other logins on the shared server must not reach this database.
                connection.execute(
                    sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(db_name))
                )
            except psycopg.Error as error:
                self._drop(connection, db_name, user)
                raise BackendError(
                    f"creating database '{db_name}' on the {self.describe()} failed: "
                    f"{error.diag.message_primary or type(error).__name__}"
                ) from None

    def drop_database(self, db_name: str, user: str) -> None:
        with self._connect() as connection:
            try:
                self._drop(connection, db_name, user)
            except psycopg.Error as error:
                raise BackendError(
                    f"dropping database '{db_name}' on the {self.describe()} failed: "
                    f"{error.diag.message_primary or type(error).__name__}"
                ) from None

    @staticmethod
    def _drop(connection: psycopg.Connection[tuple[object, ...]], db_name: str, user: str) -> None:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db_name))
        )
        connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(user)))

    def set_login_enabled(self, user: str, enabled: bool) -> None:
        with self._connect() as connection:
            try:
                option = sql.SQL("LOGIN" if enabled else "NOLOGIN")
                connection.execute(sql.SQL("ALTER ROLE {} {}").format(sql.Identifier(user), option))
                if not enabled:
                    connection.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                        (user,),
                    )
            except psycopg.Error as error:
                raise BackendError(
                    f"changing login '{user}' on the {self.describe()} failed: "
                    f"{error.diag.message_primary or type(error).__name__}"
                ) from None
