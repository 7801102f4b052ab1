"""The `dms-testenv` command: build the binaries, start and stop a control plane.

dms-testenv build                 build or find kube-apiserver, etcd, kubectl, helm
dms-testenv up --dir DIR          start a control plane in DIR and return
dms-testenv down --dir DIR        stop the control plane started in DIR
dms-testenv bin-path              print the directories holding kubectl and helm
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dms_testenv.binaries import BuildError, ensure_binaries
from dms_testenv.controlplane import ControlPlane, ControlPlaneError


def _build(_: argparse.Namespace) -> int:
    binaries = ensure_binaries()
    for name, path in vars(binaries).items():
        print(f"{name}: {path}")
    return 0


def _up(arguments: argparse.Namespace) -> int:
    workdir = Path(arguments.dir).resolve()
    if (workdir / "state.json").exists() and ControlPlane.load(workdir).running():
        print(f"a control plane is already running in {workdir}", file=sys.stderr)
        return 1
    control_plane = ControlPlane(workdir=workdir, binaries=ensure_binaries()).start()
    print(f"control plane ready at {control_plane.server}")
    print(f"export KUBECONFIG={control_plane.kubeconfig}")
    return 0


def _down(arguments: argparse.Namespace) -> int:
    workdir = Path(arguments.dir).resolve()
    if not (workdir / "state.json").exists():
        print(f"no control plane state in {workdir}; nothing to stop")
        return 0
    ControlPlane.load(workdir).stop()
    print(f"control plane in {workdir} stopped")
    return 0


def _bin_path(_: argparse.Namespace) -> int:
    print(os.pathsep.join(str(d) for d in ensure_binaries().bin_dirs))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dms-testenv", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help="build or find the control plane binaries").set_defaults(
        handler=_build
    )
    for name, handler, text in (
        ("up", _up, "start a control plane in DIR and return once it is ready"),
        ("down", _down, "stop the control plane started in DIR"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("--dir", required=True, help="working directory of the control plane")
        command.set_defaults(handler=handler)
    commands.add_parser("bin-path", help="print the directories of kubectl and helm").set_defaults(
        handler=_bin_path
    )
    arguments = parser.parse_args(argv)
    try:
        return int(arguments.handler(arguments))
    except (BuildError, ControlPlaneError) as error:
        print(f"dms-testenv: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
