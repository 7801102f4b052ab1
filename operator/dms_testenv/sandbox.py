"""The local sandbox: the whole stack on one machine, with the examples applied.

`up` starts, in `.sandbox/`: the Kubernetes control plane, a PostgreSQL and a
MariaDB server, the DMS simulator over HTTPS backed by both, and the operator
(`kopf run`). It then installs the CRDs, applies `examples/` with a provider
credentials Secret pointing at the simulator, waits until every resource is
Ready, and connects to each database with its connection Secret. Everything
keeps running after `up` returns; `down` stops it.

Every component writes its log under `.sandbox/logs/`.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from dms_testenv import processes
from dms_testenv.binaries import Binaries, ensure_binaries
from dms_testenv.controlplane import ControlPlane, free_port
from dms_testenv.databases import MariaDbServer, PostgresServer, stop_recorded
from dms_testenv.simulator import SimulatorProcess

NAMESPACE = "dms-sandbox"
PROVIDER_SECRET_NAME = "dms-provider-admin"  # noqa: S105 (a name, not a password)
PROVIDER_EMAIL = "provider-admin@sandbox.local"
_READY_TIMEOUT_SECONDS = 300.0
_TASK_SECONDS = "3"
_REPOSITORY = Path(__file__).resolve().parents[2]


class SandboxError(RuntimeError):
    """A sandbox step failed; the message names the step and its log file."""


def _say(message: str) -> None:
    print(f"[sandbox] {message}", flush=True)


def _link_log(log_dir: Path, target: Path) -> None:
    link = log_dir / target.name
    link.unlink(missing_ok=True)
    link.symlink_to(target)


def _provider_password() -> str:
    # The DMS password rule: 8 to 20 characters with an upper-case letter, a
    # lower-case letter, a digit and one of ?!@#$%^&*.
    return f"Sb{secrets.token_hex(6)}7!"


class Sandbox:
    """The sandbox rooted at `root` (normally `<repository>/.sandbox`)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.logs = self.root / "logs"
        self.kubeconfig = self.root / "kubeconfig"

    # --- start-up ----------------------------------------------------------

    def up(self) -> None:
        if (self.root / "controlplane" / "state.json").exists():
            raise SandboxError(
                f"a sandbox already runs in {self.root}; run `make sandbox-down` first"
            )
        # Nothing runs here (checked above), so what is left is a stopped
        # sandbox's data: start from scratch rather than from stale state.
        shutil.rmtree(self.root, ignore_errors=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        binaries = ensure_binaries()

        _say("starting the Kubernetes control plane")
        control_plane = ControlPlane(
            workdir=self.root / "controlplane", binaries=binaries, log_dir=self.logs
        ).start()
        shutil.copyfile(control_plane.kubeconfig, self.kubeconfig)
        self._write_env(binaries)

        _say("starting PostgreSQL and MariaDB")
        postgres = PostgresServer(self.root / "postgres").start()
        _link_log(self.logs, postgres.log_file)
        mariadb = MariaDbServer(self.root / "mariadb").start()
        _link_log(self.logs, mariadb.log_file)

        _say("starting the DMS simulator (HTTPS, backed by both servers)")
        password = _provider_password()
        ca_file = self.root / "simulator" / "ca.crt"
        simulator = SimulatorProcess(
            self.root / "simulator",
            args=[
                "--tls",
                f"--tls-ca-file={ca_file}",
                f"--state-file={self.root / 'simulator' / 'state.json'}",
                f"--task-seconds={_TASK_SECONDS}",
                # Lets a user try drift and failures (docs/simulator.md, control API).
                "--enable-control-api",
            ],
            env={
                "DMS_SIM_PROVIDER_EMAIL": PROVIDER_EMAIL,
                "DMS_SIM_PROVIDER_PASSWORD": password,
                "DMS_SIM_POSTGRES_ADMIN_URL": postgres.admin_url,
                "DMS_SIM_MYSQL_ADMIN_URL": mariadb.admin_url,
            },
        ).start()
        _link_log(self.logs, simulator.log_file)
        _say(f"DMS simulator at {simulator.base_url}")

        _say("installing the CRDs")
        self._kubectl(binaries, "apply", "-f", str(_REPOSITORY / "crds"))
        for crd in sorted((_REPOSITORY / "crds").glob("*.yaml")):
            name = yaml.safe_load(crd.read_text())["metadata"]["name"]
            self._kubectl(binaries, "wait", "--for=condition=Established", f"crd/{name}")
        # kubectl caches API discovery; refresh it so that `kubectl get dms` works
        # at once instead of failing once with "doesn't have a resource type".
        self._kubectl(binaries, "api-resources", "--api-group=dms.tanzu.community")

        _say("starting the operator")
        self._start_operator()

        _say(f"applying examples/ in namespace {NAMESPACE}")
        self._kubectl(binaries, "create", "namespace", NAMESPACE)
        self._create_provider_secret(binaries, simulator.base_url, password, ca_file)
        self._kubectl(
            binaries, "apply", "-n", NAMESPACE, "-f", "-", stdin=self._example_manifests()
        )

        self._wait_until_ready(binaries)
        print(self._kubectl(binaries, "get", "dms", "-n", NAMESPACE), flush=True)
        self._query_databases(binaries)
        self._print_usage()

    def _write_env(self, binaries: Binaries) -> None:
        # The virtualenv's bin contains dms-simulator and dms-testenv.
        directories = [*binaries.bin_dirs, Path(sys.executable).parent]
        path = os.pathsep.join(str(d) for d in directories)
        (self.root / "env").write_text(
            f"export KUBECONFIG={self.kubeconfig}\nexport PATH={path}:$PATH\n"
        )

    def _kubectl(self, binaries: Binaries, *arguments: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            [str(binaries.kubectl), "--kubeconfig", str(self.kubeconfig), *arguments],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise SandboxError(f"kubectl {' '.join(arguments)} failed: {result.stderr.strip()}")
        return result.stdout

    def _start_operator(self) -> None:
        log_file = self.logs / "operator.log"
        liveness_port = free_port()
        environment = dict(os.environ, KUBECONFIG=str(self.kubeconfig))
        with log_file.open("ab") as log:
            process = subprocess.Popen(
                [
                    sys.executable, "-m", "kopf", "run",
                    "-m", "dms_operator.main",
                    "--all-namespaces", "--standalone",
                    f"--liveness=http://127.0.0.1:{liveness_port}/healthz",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=environment,
                start_new_session=True,
            )  # fmt: skip
        record = {
            "pid": process.pid,
            "startTime": processes.start_time(process.pid),
            "signal": int(signal.SIGTERM),
        }
        (self.root / "operator.json").write_text(json.dumps(record))
        time.sleep(1.0)
        if process.poll() is not None:
            raise SandboxError(f"the operator exited at start-up; see {log_file}")

    def _create_provider_secret(
        self, binaries: Binaries, endpoint: str, password: str, ca_file: Path
    ) -> None:
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": PROVIDER_SECRET_NAME, "namespace": NAMESPACE},
            "type": "Opaque",
            "data": {
                key: base64.b64encode(value.encode()).decode()
                for key, value in {
                    "endpoint": endpoint,
                    "username": PROVIDER_EMAIL,
                    "password": password,
                    "ca.crt": ca_file.read_text(),
                }.items()
            },
        }
        self._kubectl(binaries, "apply", "-f", "-", stdin=json.dumps(secret))

    def _example_manifests(self) -> str:
        """Return the examples without their placeholder provider Secret."""
        documents: list[dict[str, Any]] = []
        for path in sorted((_REPOSITORY / "examples").glob("*.yaml")):
            for document in yaml.safe_load_all(path.read_text()):
                if not document:
                    continue
                if (
                    document.get("kind") == "Secret"
                    and document["metadata"]["name"] == PROVIDER_SECRET_NAME
                ):
                    continue
                documents.append(document)
        return yaml.safe_dump_all(documents)

    def _resources(self, binaries: Binaries) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = json.loads(
            self._kubectl(binaries, "get", "dms", "-n", NAMESPACE, "-o", "json")
        )["items"]
        return items

    @staticmethod
    def _ready(resource: dict[str, Any]) -> tuple[bool, str]:
        for condition in resource.get("status", {}).get("conditions", []):
            if condition["type"] == "Ready":
                summary = f"{condition['status']} {condition.get('reason', '')}".strip()
                return condition["status"] == "True", summary
        return False, "no Ready condition yet"

    def _wait_until_ready(self, binaries: Binaries) -> None:
        _say(f"waiting up to {_READY_TIMEOUT_SECONDS:.0f}s for every resource to be Ready")
        deadline = time.monotonic() + _READY_TIMEOUT_SECONDS
        reported: dict[str, str] = {}
        while time.monotonic() < deadline:
            resources = self._resources(binaries)
            states = {f"{r['kind']}/{r['metadata']['name']}": self._ready(r) for r in resources}
            for name, (_, summary) in states.items():
                if reported.get(name) != summary:
                    _say(f"  {name}: Ready={summary}")
                    reported[name] = summary
            if states and all(ready for ready, _ in states.values()):
                return
            time.sleep(2.0)
        raise SandboxError(
            f"not every resource was Ready within {_READY_TIMEOUT_SECONDS:.0f}s; "
            f"see {self.logs / 'operator.log'} and `kubectl describe dms -n {NAMESPACE}`"
        )

    def _query_databases(self, binaries: Binaries) -> None:
        for resource in self._resources(binaries):
            if resource["kind"] != "DMSDatabase":
                continue
            secret_name = resource["status"]["binding"]["name"]
            secret = json.loads(
                self._kubectl(binaries, "get", "secret", secret_name, "-n", NAMESPACE, "-o", "json")
            )
            data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
            version = _query(data)
            _say(
                f"{resource['metadata']['name']}: connected with Secret {secret_name} as "
                f"{data['username']}@{data['host']}:{data['port']}/{data['database']}: {version}"
            )

    def _print_usage(self) -> None:
        print(
            f"""
The sandbox is running. To use it:

    source {self.root / "env"}
    kubectl get dms -n {NAMESPACE}
    kubectl describe dmsdatabase orders-pg -n {NAMESPACE}

The DMS simulator's URL is in {self.root / "simulator" / "simulator.url"} and its CA in
{self.root / "simulator" / "ca.crt"}. Logins: the provider admin's (orgs and users) is in
the Secret {PROVIDER_SECRET_NAME}, the org admin's (databases) in acme-dms-admin:
kubectl get secret acme-dms-admin -n {NAMESPACE} -o yaml. The simulator's control API
(/_simulator, see docs/simulator.md) is on, to change or fail things out of band.

The simulator keeps every database of an engine on one real server, where a login name
exists once: give each new DMSDatabase its own spec.adminUsername (the examples use
orders_admin and shop_admin, which leaves the default dbadmin to your first one).

Logs of every component are in {self.logs}/.
Stop everything with `make sandbox-down`.
""",
            flush=True,
        )

    # --- shut-down ---------------------------------------------------------

    def down(self) -> None:
        for directory, name in (
            (self.root, "operator"),
            (self.root / "simulator", "simulator"),
            (self.root / "postgres", "postgres"),
            (self.root / "mariadb", "mariadb"),
        ):
            if stop_recorded(directory, name):
                _say(f"{name} stopped")
        if (self.root / "controlplane" / "state.json").exists():
            ControlPlane.load(self.root / "controlplane").stop()
            _say("control plane stopped")
        _say(f"the sandbox is down; its files stay in {self.root} until `make clean-sandbox`")


def _query(data: dict[str, str]) -> str:
    """Connect with the connection Secret's fields and return the server version."""
    if data["type"] == "postgresql":
        import psycopg

        with psycopg.connect(
            host=data["host"],
            port=int(data["port"]),
            dbname=data["database"],
            user=data["username"],
            password=data["password"],
            connect_timeout=10,
        ) as connection:
            row = connection.execute("SELECT version()").fetchone()
    else:
        import pymysql

        connection = pymysql.connect(
            host=data["host"],
            port=int(data["port"]),
            database=data["database"],
            user=data["username"],
            password=data["password"],
            connect_timeout=10,
        )
        with connection, connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            row = cursor.fetchone()
    return str(row[0]) if row else "(no row)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dms_testenv.sandbox", description=__doc__)
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--dir", default=str(_REPOSITORY / ".sandbox"), help="sandbox directory")
    arguments = parser.parse_args(argv)
    sandbox = Sandbox(Path(arguments.dir))
    try:
        if arguments.action == "up":
            sandbox.up()
        else:
            sandbox.down()
    except KeyboardInterrupt:
        print("[sandbox] interrupted", file=sys.stderr)
        if arguments.action == "up":
            print("[sandbox] `make sandbox-down` stops what was started", file=sys.stderr)
        return 130
    except Exception as error:
        print(f"[sandbox] failed: {error}", file=sys.stderr)
        if arguments.action == "up":
            print("[sandbox] `make sandbox-down` stops what was started", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
