"""Start and stop a real Kubernetes control plane on loopback.

The control plane is etcd, kube-apiserver and kube-controller-manager, built
by `dms_testenv.binaries`. There are no nodes and no kubelet, so pods never run,
but everything an operator talks to does: structural schemas and CEL, the
status subresource, watches, RBAC, ServiceAccount tokens, finalizers, garbage
collection and namespace deletion (the last two need the controller manager).

Components run as detached processes, and their pids are recorded in
`<workdir>/state.json`, so that `dms-testenv down` can stop a control plane
started by another process (the sandbox).
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dms_testenv import processes
from dms_testenv.binaries import Binaries
from dms_testenv.pki import SERVICE_CLUSTER_IP_RANGE, ControlPlanePKI, create_pki

_STATE_FILE = "state.json"
_READY_TIMEOUT_SECONDS = 120.0
_STOP_TIMEOUT_SECONDS = 15.0
_LOG_TAIL_LINES = 40


class ControlPlaneError(RuntimeError):
    """A component failed to start or to become ready."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _kubeconfig(server: str, ca: Path, cert: Path, key: Path, user: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "dms-testenv", "cluster": {"server": server, "certificate-authority": str(ca)}}
        ],
        "users": [
            {"name": user, "user": {"client-certificate": str(cert), "client-key": str(key)}}
        ],
        "contexts": [{"name": "dms-testenv", "context": {"cluster": "dms-testenv", "user": user}}],
        "current-context": "dms-testenv",
    }


@dataclass
class Component:
    name: str
    command: list[str]
    log: Path
    pid: int | None = None
    start_time: str | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            # A new session keeps the component alive after a CLI caller exits
            # and lets stop() signal it without touching the caller.
            process = subprocess.Popen(
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid = process.pid
        self.start_time = processes.start_time(process.pid)

    def running(self) -> bool:
        return self.pid is not None and processes.is_running(self.pid, self.start_time)

    def stop(self) -> None:
        if self.pid is not None:
            processes.stop(self.pid, self.start_time)

    def failure(self, reason: str) -> ControlPlaneError:
        return ControlPlaneError(
            f"{self.name} {reason}; last lines of {self.log}:\n{_tail(self.log)}"
        )


@dataclass
class ControlPlane:
    """A control plane in `workdir`; `start()` launches it, `stop()` ends it."""

    workdir: Path
    binaries: Binaries | None = None
    components: list[Component] = field(default_factory=list)
    server: str = ""
    log_dir: Path | None = None  # defaults to <workdir>/logs

    @property
    def kubeconfig(self) -> Path:
        return self.workdir / "kubeconfig"

    @property
    def logs(self) -> Path:
        return self.log_dir or self.workdir / "logs"

    def start(self) -> ControlPlane:
        if self.binaries is None:
            raise ControlPlaneError(
                "no binaries given; call dms_testenv.binaries.ensure_binaries()"
            )
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        pki = create_pki(self.workdir / "pki")
        etcd_port, peer_port, api_port = free_port(), free_port(), free_port()
        self.server = f"https://127.0.0.1:{api_port}"
        self.kubeconfig.write_text(
            json.dumps(
                _kubeconfig(self.server, pki.ca.cert, pki.admin.cert, pki.admin.key, "admin"),
                indent=2,
            )
        )
        controller_kubeconfig = self.workdir / "controller-manager.kubeconfig"
        controller_kubeconfig.write_text(
            json.dumps(
                _kubeconfig(
                    self.server,
                    pki.ca.cert,
                    pki.controller_manager.cert,
                    pki.controller_manager.key,
                    "system:kube-controller-manager",
                )
            )
        )
        etcd = Component("etcd", self._etcd_command(etcd_port, peer_port), self.logs / "etcd.log")
        apiserver = Component(
            "kube-apiserver",
            self._apiserver_command(pki, etcd_port, api_port),
            self.logs / "kube-apiserver.log",
        )
        controller_manager = Component(
            "kube-controller-manager",
            self._controller_manager_command(pki, controller_kubeconfig),
            self.logs / "kube-controller-manager.log",
        )
        self.components = [etcd, apiserver, controller_manager]
        try:
            etcd.start()
            self._save_state()
            self._wait_for_port(etcd, etcd_port)
            apiserver.start()
            self._save_state()
            self._wait_until_ready(apiserver, pki)
            controller_manager.start()
            self._save_state()
            self._wait_for_controller_manager(controller_manager, pki)
        except BaseException:
            self.stop()
            raise
        return self

    def _etcd_command(self, client_port: int, peer_port: int) -> list[str]:
        assert self.binaries is not None
        client_url = f"http://127.0.0.1:{client_port}"
        peer_url = f"http://127.0.0.1:{peer_port}"
        return [
            str(self.binaries.etcd),
            "--name=dms-testenv",
            f"--data-dir={self.workdir / 'etcd'}",
            f"--listen-client-urls={client_url}",
            f"--advertise-client-urls={client_url}",
            f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=dms-testenv={peer_url}",
            "--listen-metrics-urls=",
            # A test cluster's data is disposable: skipping fsync makes every
            # write several times faster on a shared disk.
            "--unsafe-no-fsync=true",
            "--log-level=warn",
        ]

    def _apiserver_command(self, pki: ControlPlanePKI, etcd_port: int, api_port: int) -> list[str]:
        assert self.binaries is not None
        return [
            str(self.binaries.kube_apiserver),
            f"--etcd-servers=http://127.0.0.1:{etcd_port}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            # The endpoint reconciler refuses loopback addresses, and nothing
            # in-cluster needs the `kubernetes` Service's endpoints here.
            "--endpoint-reconciler-type=none",
            f"--secure-port={api_port}",
            f"--cert-dir={self.workdir / 'apiserver-certs'}",
            f"--tls-cert-file={pki.apiserver.cert}",
            f"--tls-private-key-file={pki.apiserver.key}",
            f"--client-ca-file={pki.ca.cert}",
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={pki.service_account_public_key}",
            f"--service-account-signing-key-file={pki.service_account_key}",
            f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
            "--allow-privileged=true",
            "--profiling=false",
            "--v=1",
        ]

    def _controller_manager_command(self, pki: ControlPlanePKI, kubeconfig: Path) -> list[str]:
        assert self.binaries is not None
        return [
            str(self.binaries.kube_controller_manager),
            f"--kubeconfig={kubeconfig}",
            "--bind-address=127.0.0.1",
            # Port 0 turns the controller manager's own HTTPS endpoint off; it
            # is only health and metrics, which the launcher checks otherwise.
            "--secure-port=0",
            "--leader-elect=false",
            "--controllers=*",
            f"--service-account-private-key-file={pki.service_account_key}",
            f"--root-ca-file={pki.ca.cert}",
            "--use-service-account-credentials=true",
            f"--cluster-signing-cert-file={pki.ca.cert}",
            f"--cluster-signing-key-file={pki.ca.key}",
            "--v=1",
        ]

    def _wait_for_port(self, component: Component, port: int) -> None:
        deadline = time.monotonic() + _READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if not component.running():
                raise component.failure("exited during start-up")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.1)
        raise component.failure(
            f"did not listen on port {port} within {_READY_TIMEOUT_SECONDS:.0f}s"
        )

    def _get(self, pki: ControlPlanePKI, path: str) -> tuple[int, bytes]:
        context = ssl.create_default_context(cafile=str(pki.ca.cert))
        context.load_cert_chain(str(pki.admin.cert), str(pki.admin.key))
        try:
            with urllib.request.urlopen(self.server + path, context=context, timeout=5) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except (urllib.error.URLError, OSError):
            return 0, b""

    def _wait_until_ready(self, component: Component, pki: ControlPlanePKI) -> None:
        deadline = time.monotonic() + _READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if not component.running():
                raise component.failure("exited during start-up")
            status, _ = self._get(pki, "/readyz")
            if status == 200:
                return
            time.sleep(0.25)
        raise component.failure(f"was not ready within {_READY_TIMEOUT_SECONDS:.0f}s")

    def _wait_for_controller_manager(self, component: Component, pki: ControlPlanePKI) -> None:
        # The controller manager serves no health endpoint here (secure port 0);
        # its ServiceAccount controller creating `default` in `default` shows
        # that its controllers run.
        deadline = time.monotonic() + _READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if not component.running():
                raise component.failure("exited during start-up")
            status, _ = self._get(pki, "/api/v1/namespaces/default/serviceaccounts/default")
            if status == 200:
                return
            time.sleep(0.25)
        raise component.failure(
            f"created no default ServiceAccount within {_READY_TIMEOUT_SECONDS:.0f}s"
        )

    def _save_state(self) -> None:
        state = {
            "server": self.server,
            "kubeconfig": str(self.kubeconfig),
            "components": [
                {"name": c.name, "pid": c.pid, "startTime": c.start_time, "log": str(c.log)}
                for c in self.components
            ],
        }
        (self.workdir / _STATE_FILE).write_text(json.dumps(state, indent=2))

    @classmethod
    def load(cls, workdir: Path) -> ControlPlane:
        """Attach to a control plane that another process started in `workdir`."""
        state = json.loads((workdir / _STATE_FILE).read_text())
        components = [
            Component(
                name=c["name"],
                command=[],
                log=Path(c["log"]),
                pid=c["pid"],
                start_time=c.get("startTime"),
            )
            for c in state["components"]
        ]
        return cls(workdir=workdir, components=components, server=state["server"])

    def running(self) -> bool:
        return bool(self.components) and all(c.running() for c in self.components)

    def stop(self) -> None:
        """Stop the components in reverse start order; safe to call twice."""
        for component in reversed(self.components):
            component.stop()
        with contextlib.suppress(FileNotFoundError):
            (self.workdir / _STATE_FILE).unlink()

    def __enter__(self) -> ControlPlane:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
