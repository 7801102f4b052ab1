"""`python -m dms_simulator`: the same as the `dms-simulator` command."""

import sys

from dms_simulator.cli import main

sys.exit(main())
