"""`python -m dms_operator [kopf run options]`: the same as `kopf run -m dms_operator.main`.

Options such as `--namespace NS` (repeatable), `--all-namespaces`, `--standalone`,
`--liveness URL` and `--verbose` go to kopf unchanged.
"""

from __future__ import annotations

import sys

from kopf.cli import main


def run() -> None:
    """Run kopf's `run` command on this operator's entry module."""
    main(args=["run", "-m", "dms_operator.main", *sys.argv[1:]], prog_name="dms-operator")


if __name__ == "__main__":
    run()
