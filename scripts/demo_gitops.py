"""`make demo-gitops`: the GitOps pipeline on shared S3 state, runner by runner
(onence_devtools.demo_gitops)."""

import sys

from onence_devtools.demo_gitops import main

sys.exit(main())
