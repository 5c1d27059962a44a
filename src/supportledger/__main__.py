"""``python -m supportledger``: the same as the ``supportledger`` command."""

import sys

from supportledger.cli import main

sys.exit(main())
