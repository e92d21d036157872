"""``python -m pulumi_onence.cli``: the ``onence`` command."""

import sys

from . import main

sys.exit(main())
