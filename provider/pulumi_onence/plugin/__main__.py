"""``python -m pulumi_onence.plugin``: the onence provider plugin."""

from . import main

main()
