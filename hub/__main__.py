"""`python -m hub` is the `hub` command."""

import sys

from hub.tools.cli import main

sys.exit(main())
