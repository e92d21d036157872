"""The onence provider plugin, started by the engine from this directory."""

from pulumi_onence.plugin import main

main()
