"""The Kubernetes API server the suite runs against, and helpers to talk to it.

By default the suite starts its own control plane (etcd, kube-apiserver,
kube-controller-manager) from the binaries that `dms_testenv` builds. When
`KUBECONFIG` names an existing file, the suite uses that cluster instead and
starts nothing; tests then create and delete their own namespaces only.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kubernetes import client, config

from dms_testenv.binaries import ensure_binaries
from dms_testenv.controlplane import ControlPlane


@dataclass(frozen=True)
class KubeAPI:
    """A reachable API server: its kubeconfig and the client binaries to use with it."""

    kubeconfig: str
    kubectl: str
    helm: str
    external: bool

    def api_client(self) -> client.ApiClient:
        return config.new_client_from_config(config_file=self.kubeconfig)

    def kubectl_run(
        self, *arguments: str, input_text: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run kubectl against this server and return the finished process (never raises)."""
        return subprocess.run(
            [self.kubectl, "--kubeconfig", self.kubeconfig, *arguments],
            input=input_text,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@contextmanager
def kube_api_session(workdir: Path) -> Iterator[KubeAPI]:
    """Yield the cluster from `KUBECONFIG`, or a control plane started in `workdir`."""
    binaries = ensure_binaries()
    external = os.environ.get("KUBECONFIG", "")
    if external and Path(external).is_file():
        yield KubeAPI(external, str(binaries.kubectl), str(binaries.helm), external=True)
        return
    with ControlPlane(workdir=workdir, binaries=binaries) as control_plane:
        yield KubeAPI(
            str(control_plane.kubeconfig), str(binaries.kubectl), str(binaries.helm), external=False
        )


@contextmanager
def temporary_namespace(api: client.ApiClient, prefix: str = "test") -> Iterator[str]:
    """Create a uniquely named namespace and delete it afterwards (without waiting)."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    core = client.CoreV1Api(api)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    try:
        yield name
    finally:
        try:
            core.delete_namespace(name)
        except client.ApiException as error:
            if error.status != 404:
                raise
