"""Start and stop real database servers on loopback: PostgreSQL and MariaDB from
Debian's packages (`postgresql`, `mariadb-server`), each in its own directory on a
free 127.0.0.1 port, with an admin URL for the DMS simulator.

PostgreSQL refuses to run as root, so under root it runs as the `postgres`
system user (through `setpriv`), with its data directory owned by that user.
MariaDB runs as the calling user (`--user=root` under root). Servers run in
their own session, and each writes `<name>.json` (pid, port) into its
directory, so a command-line caller can leave one running and stop it later
with `stop_recorded`. Log files stay in the directory; their tail is part of
every start error.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import string
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

from dms_testenv import processes

_START_TIMEOUT_SECONDS = 60.0
_STOP_TIMEOUT_SECONDS = 20.0
_POLL_SECONDS = 0.1
_LOG_TAIL_LINES = 30
# Unix socket paths are limited to 107 bytes on Linux.
_MAX_SOCKET_PATH = 100


class DatabaseServerError(RuntimeError):
    """A database server could not be started or stopped."""


class MissingPackageError(DatabaseServerError):
    """The server's binaries are not installed."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    """Return the last `lines` lines of a log file, or a note that it is missing."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


def _new_password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(24))


def _process_alive(pid: int) -> bool:
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        # Not our child (started by another process): probe with signal 0.
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return finished == 0


def stop_process(pid: int, first_signal: signal.Signals = signal.SIGTERM) -> None:
    """Signal a process, wait for it to exit, and kill it if it does not."""
    if not _process_alive(pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, first_signal)
    deadline = time.monotonic() + _STOP_TIMEOUT_SECONDS
    while _process_alive(pid) and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
    if _process_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while _process_alive(pid):
            time.sleep(_POLL_SECONDS)


def stop_recorded(workdir: Path, name: str) -> bool:
    """Stop a process started in `workdir` by another process.

    Returns False when nothing is recorded, or the recorded process has exited (its
    pid may belong to another process by now, which is left alone).
    """
    record = workdir / f"{name}.json"
    if not record.exists():
        return False
    data = json.loads(record.read_text())
    stopped = processes.stop(
        int(data["pid"]), data.get("startTime"), int(data.get("signal", signal.SIGTERM))
    )
    record.unlink(missing_ok=True)
    return stopped


def _traversable_by(path: Path, uid: int, gid: int) -> bool:
    """Tell whether a user can reach `path` through all its parent directories."""
    for directory in [path, *path.parents]:
        if not directory.exists():
            continue
        mode = directory.stat()
        if mode.st_uid == uid:
            allowed = mode.st_mode & stat.S_IXUSR
        elif mode.st_gid == gid:
            allowed = mode.st_mode & stat.S_IXGRP
        else:
            allowed = mode.st_mode & stat.S_IXOTH
        if not allowed:
            return False
    return True


class _Server:
    """Common process handling of the database servers."""

    name = "server"
    stop_signal = signal.SIGTERM

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir.resolve()
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log_file = self.workdir / f"{self.name}.log"

    @property
    def admin_url(self) -> str:
        raise NotImplementedError

    def start(self) -> Self:
        raise NotImplementedError

    def _spawn(self, command: list[str]) -> None:
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        record = {
            "pid": self.process.pid,
            "startTime": processes.start_time(self.process.pid),
            "port": self.port,
            "signal": int(self.stop_signal),
        }
        (self.workdir / f"{self.name}.json").write_text(json.dumps(record))

    def _failure(self, message: str, log: Path | None = None) -> DatabaseServerError:
        log = log or self.log_file
        return DatabaseServerError(f"{message}; last lines of {log}:\n{tail(log)}")

    def _wait_until_ready(self, probe: Any) -> None:
        """Call `probe()` until it returns without an exception, within a deadline."""
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise self._failure(f"{self.name} exited with code {self.process.returncode}")
            try:
                probe()
                return
            except Exception as error:
                last_error = error
            time.sleep(_POLL_SECONDS)
        self.stop()
        raise self._failure(
            f"{self.name} did not accept connections within {_START_TIMEOUT_SECONDS:.0f} s "
            f"({last_error})"
        )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process.pid, self.stop_signal)
            self.process.wait()
        (self.workdir / f"{self.name}.json").unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _postgres_bin_dir() -> Path:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )
    for candidate in reversed(candidates):
        if (Path(candidate) / "postgres").exists() and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    raise MissingPackageError(
        "PostgreSQL server binaries (initdb, postgres) not found under /usr/lib/postgresql; "
        "install the Debian package postgresql"
    )


class PostgresServer(_Server):
    """A PostgreSQL server; `admin_url` logs in as the superuser `postgres`."""

    name = "postgres"
    # SIGINT is PostgreSQL's fast shutdown: it ends open sessions instead of waiting.
    stop_signal = signal.SIGINT

    def __init__(self, workdir: Path, bin_dir: Path | None = None) -> None:
        super().__init__(workdir)
        self.bin_dir = bin_dir
        self.password = _new_password()
        self._own_data_parent: Path | None = None

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres:{quote(self.password)}@127.0.0.1:{self.port}/postgres"

    def start(self) -> Self:
        bin_dir = self.bin_dir or _postgres_bin_dir()
        self.workdir.mkdir(parents=True, exist_ok=True)
        run_as: list[str] = []
        owner: pwd.struct_passwd | None = None
        data_parent = self.workdir
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise MissingPackageError(
                    "the system user postgres does not exist; install the Debian package postgresql"
                ) from None
            # setpriv execs the server itself (runuser would stay in between and
            # not pass SIGINT on), so stop() signals the postmaster directly.
            run_as = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]
            if not _traversable_by(self.workdir, owner.pw_uid, owner.pw_gid):
                # The postgres user cannot reach the work directory (e.g. pytest's
                # private temp dir), so the data lives in a directory of its own.
                data_parent = Path(tempfile.mkdtemp(prefix="dms-testenv-postgres-"))
                self._own_data_parent = data_parent
        data_dir = data_parent / "pgdata"
        socket_dir = data_parent / "socket"
        socket_dir.mkdir(exist_ok=True)
        password_file = data_parent / "pwfile"
        password_file.write_text(self.password + "\n")
        password_file.chmod(0o600)
        if owner is not None:
            for path in (data_parent, socket_dir, password_file):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        init_log = self.workdir / "postgres-initdb.log"
        if not (data_dir / "PG_VERSION").exists():
            with init_log.open("wb") as log:
                result = subprocess.run(
                    [
                        *run_as,
                        str(bin_dir / "initdb"),
                        "-D",
                        str(data_dir),
                        "-U",
                        "postgres",
                        f"--pwfile={password_file}",
                        "--auth-local=trust",
                        "--auth-host=scram-sha-256",
                        "--encoding=UTF8",
                        "--no-locale",
                        "--no-sync",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
            if result.returncode != 0:
                raise self._failure("initdb failed", init_log)
        password_file.unlink()
        self.port = free_port()
        self._spawn(
            [
                *run_as,
                str(bin_dir / "postgres"),
                "-D",
                str(data_dir),
                "-p",
                str(self.port),
                "-k",
                str(socket_dir),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=200",
                # Durability is not needed for throwaway test data.
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]
        )
        self._wait_until_ready(self._probe)
        return self

    def _probe(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, connect_timeout=2) as connection:
            connection.execute("SELECT 1")

    def stop(self) -> None:
        super().stop()
        if self._own_data_parent is not None:
            shutil.rmtree(self._own_data_parent, ignore_errors=True)
            self._own_data_parent = None


def _mariadb_binaries() -> tuple[Path, Path]:
    server = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin")
    installer = shutil.which("mariadb-install-db")
    if server is None or installer is None:
        raise MissingPackageError(
            "MariaDB server binaries (mariadbd, mariadb-install-db) not found; "
            "install the Debian package mariadb-server"
        )
    return Path(server), Path(installer)


class MariaDbServer(_Server):
    """A MariaDB server; `admin_url` logs in as `root` from 127.0.0.1."""

    name = "mariadb"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.password = _new_password()
        self._socket_dir: Path | None = None

    @property
    def admin_url(self) -> str:
        return f"mysql://root:{quote(self.password)}@127.0.0.1:{self.port}/"

    @property
    def socket_path(self) -> Path:
        assert self._socket_dir is not None
        return self._socket_dir / "mariadb.sock"

    def start(self) -> Self:
        server, installer = _mariadb_binaries()
        self.workdir.mkdir(parents=True, exist_ok=True)
        data_dir = self.workdir / "mariadb-data"
        self._socket_dir = self.workdir
        if len(str(self.workdir / "mariadb.sock")) > _MAX_SOCKET_PATH:
            self._socket_dir = Path(tempfile.mkdtemp(prefix="dms-mariadb-"))
        user = ["--user=root"] if os.geteuid() == 0 else []
        init_log = self.workdir / "mariadb-install-db.log"
        if not (data_dir / "mysql").exists():
            with init_log.open("wb") as log:
                result = subprocess.run(
                    [
                        str(installer),
                        "--no-defaults",
                        f"--datadir={data_dir}",
                        *user,
                        "--auth-root-authentication-method=normal",
                        "--skip-test-db",
                        "--skip-name-resolve",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
            if result.returncode != 0:
                raise self._failure("mariadb-install-db failed", init_log)
        self.port = free_port()
        self._spawn(
            [
                str(server),
                "--no-defaults",
                f"--datadir={data_dir}",
                *user,
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--socket={self.socket_path}",
                f"--pid-file={self.workdir / 'mariadb.pid'}",
                "--skip-name-resolve",
                "--max-connections=200",
                "--innodb-buffer-pool-size=64M",
                "--innodb-flush-log-at-trx-commit=0",
            ]
        )
        self._wait_until_ready(self._secure)
        return self

    def _secure(self) -> None:
        """Give root a password and a login from 127.0.0.1; drop anonymous users."""
        import pymysql

        connection = pymysql.connect(
            unix_socket=str(self.socket_path), user="root", password="", connect_timeout=2
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT User, Host FROM mysql.user WHERE User = ''")
                for anonymous_user, host in cursor.fetchall():
                    cursor.execute("DROP USER %s@%s", (anonymous_user, host))
                cursor.execute(
                    "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY %s",
                    (self.password,),
                )
                cursor.execute("ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY %s", (self.password,))
                cursor.execute(
                    "GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION"
                )
            connection.commit()
        finally:
            connection.close()

    def stop(self) -> None:
        super().stop()
        if self._socket_dir is not None and self._socket_dir != self.workdir:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
