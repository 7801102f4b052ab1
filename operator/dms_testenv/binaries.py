"""Build and cache the Kubernetes, etcd and helm binaries from Go modules.

The build modules live in `hack/kube-build/<group>/` (a `go.mod`, its `go.sum`
and a `tools.go` naming the commands). Each group is built once per machine
into `~/.cache/dms-operator/bin/<group>-<version>-<digest>/`, where the digest
covers the build module's files, so that changing a pinned version rebuilds and
anything else reuses the cache. A warm start only checks that the files exist:
it runs no `go` command and touches no network.

Set `DMS_OPERATOR_CACHE` to move the cache, and `DMS_OPERATOR_KUBE_BUILD_DIR`
to point at the build modules when the package is not run from a checkout.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Link-time version stamps: without them every binary reports v0.0.0, and
# clients such as helm and kubectl check the server's version.
_KUBERNETES_VERSION_PACKAGE = "k8s.io/component-base/version"
_HELM_VERSION_VARIABLE = "helm.sh/helm/v4/internal/version.version"
_PROGRESS_INTERVAL_SECONDS = 15.0


class BuildError(RuntimeError):
    """A Go toolchain is missing or `go build` failed."""


@dataclass(frozen=True)
class BinaryGroup:
    """Commands built together from one build module."""

    name: str
    module: str  # the required module whose version names the cache entry
    commands: dict[str, str]  # binary name -> Go package path


GROUPS: tuple[BinaryGroup, ...] = (
    BinaryGroup(
        name="kubernetes",
        module="k8s.io/kubernetes",
        commands={
            "kube-apiserver": "k8s.io/kubernetes/cmd/kube-apiserver",
            "kube-controller-manager": "k8s.io/kubernetes/cmd/kube-controller-manager",
            "kubectl": "k8s.io/kubernetes/cmd/kubectl",
        },
    ),
    BinaryGroup(
        name="etcd",
        module="go.etcd.io/etcd/server/v3",
        commands={"etcd": "go.etcd.io/etcd/server/v3"},
    ),
    BinaryGroup(
        name="helm",
        module="helm.sh/helm/v4",
        commands={"helm": "helm.sh/helm/v4/cmd/helm"},
    ),
)


def cache_root() -> Path:
    default = Path.home() / ".cache" / "dms-operator"
    return Path(os.environ.get("DMS_OPERATOR_CACHE", default))


def build_modules_dir() -> Path:
    override = os.environ.get("DMS_OPERATOR_KUBE_BUILD_DIR")
    if override:
        return Path(override)
    # operator/dms_testenv/binaries.py -> repository root
    return Path(__file__).resolve().parents[2] / "hack" / "kube-build"


def module_version(group: BinaryGroup) -> str:
    """Read the pinned version of the group's main module from its go.mod."""
    go_mod = build_modules_dir() / group.name / "go.mod"
    pattern = re.compile(rf"^\s*(?:require\s+)?{re.escape(group.module)}\s+(v\S+)", re.MULTILINE)
    match = pattern.search(go_mod.read_text())
    if not match:
        raise BuildError(f"{go_mod}: no version pinned for {group.module}")
    return match.group(1)


def _digest(group: BinaryGroup) -> str:
    directory = build_modules_dir() / group.name
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum", "tools.go"):
        digest.update(name.encode())
        digest.update((directory / name).read_bytes())
    return digest.hexdigest()[:12]


def group_dir(group: BinaryGroup) -> Path:
    return cache_root() / "bin" / f"{group.name}-{module_version(group)}-{_digest(group)}"


def _ldflags(group: BinaryGroup, version: str) -> str:
    flags = ["-s", "-w"]
    if group.name == "kubernetes":
        major, minor = version.lstrip("v").split(".")[:2]
        flags += [
            f"-X {_KUBERNETES_VERSION_PACKAGE}.gitVersion={version}",
            f"-X {_KUBERNETES_VERSION_PACKAGE}.gitMajor={major}",
            f"-X {_KUBERNETES_VERSION_PACKAGE}.gitMinor={minor}",
            f"-X {_KUBERNETES_VERSION_PACKAGE}.gitTreeState=clean",
        ]
    elif group.name == "helm":
        flags.append(f"-X {_HELM_VERSION_VARIABLE}={version}")
    return " ".join(flags)


@contextmanager
def _build_lock() -> Iterator[None]:
    """Serialise builds across processes, so parallel test runs build once."""
    cache_root().mkdir(parents=True, exist_ok=True)
    with open(cache_root() / ".build.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _report_progress(name: str, started: float, packages: list[int], done: threading.Event) -> None:
    while not done.wait(_PROGRESS_INTERVAL_SECONDS):
        minutes, seconds = divmod(int(time.monotonic() - started), 60)
        print(
            f"[kube-build] {name}: {packages[0]} packages compiled, {minutes}m{seconds:02d}s",
            file=sys.stderr,
            flush=True,
        )


def _go_build(group: BinaryGroup, output_dir: Path) -> None:
    go = shutil.which("go")
    if go is None:
        raise BuildError(
            "the go command was not found; install Go 1.26 or newer to build the test control plane"
        )
    version = module_version(group)
    environment = dict(os.environ, GOTOOLCHAIN="local", CGO_ENABLED="0")
    command = [
        go, "build", "-v", "-trimpath",
        "-ldflags", _ldflags(group, version),
        "-o", f"{output_dir}/",
        *group.commands.values(),
    ]  # fmt: skip

    if len(group.commands) == 1:
        # `go build -o dir/` names a binary after its package path, which for
        # etcd is the module root `.../server/v3`; naming the file avoids that.
        command[command.index("-o") + 1] = str(output_dir / next(iter(group.commands)))
    print(
        f"[kube-build] building {group.name} {version} ({', '.join(group.commands)}); "
        "the first build takes several minutes",
        file=sys.stderr,
        flush=True,
    )

    started = time.monotonic()
    packages = [0]
    done = threading.Event()
    reporter = threading.Thread(
        target=_report_progress, args=(group.name, started, packages, done), daemon=True
    )
    reporter.start()

    tail: list[str] = []
    process = subprocess.Popen(
        command,
        cwd=build_modules_dir() / group.name,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        packages[0] += 1
        tail = [*tail[-40:], line.rstrip()]
    returncode = process.wait()
    done.set()

    if returncode != 0:
        details = "\n".join(tail)
        raise BuildError(f"go build of {group.name} failed with exit code {returncode}:\n{details}")
    elapsed = time.monotonic() - started
    print(f"[kube-build] {group.name} built in {elapsed:.0f}s", file=sys.stderr, flush=True)


def ensure_group(group: BinaryGroup) -> Path:
    """Return the directory holding the group's binaries, building them on first use."""
    target = group_dir(group)
    if all((target / name).is_file() for name in group.commands):
        return target
    with _build_lock():
        if all((target / name).is_file() for name in group.commands):
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{group.name}-", dir=target.parent))
        try:
            _go_build(group, staging)
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


@dataclass(frozen=True)
class Binaries:
    """Paths of every binary the test control plane and the chart tests use."""

    kube_apiserver: Path
    kube_controller_manager: Path
    kubectl: Path
    etcd: Path
    helm: Path

    @property
    def bin_dirs(self) -> list[Path]:
        return sorted({p.parent for p in (self.kubectl, self.helm, self.etcd)})


def ensure_binaries() -> Binaries:
    """Build (first run) or find (later runs) all binaries."""
    directories = {group.name: ensure_group(group) for group in GROUPS}
    return Binaries(
        kube_apiserver=directories["kubernetes"] / "kube-apiserver",
        kube_controller_manager=directories["kubernetes"] / "kube-controller-manager",
        kubectl=directories["kubernetes"] / "kubectl",
        etcd=directories["etcd"] / "etcd",
        helm=directories["helm"] / "helm",
    )
