"""`make demo`: the main job, end to end, against the local emulator (onence_devtools.demo)."""

import sys

from onence_devtools.demo import main

sys.exit(main())
