"""``python -m evm_sync.cli``."""

import sys

from evm_sync.cli import main

sys.exit(main())
