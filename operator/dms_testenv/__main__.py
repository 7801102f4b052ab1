import sys

from dms_testenv.cli import main

sys.exit(main())
