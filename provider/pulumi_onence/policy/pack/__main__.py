"""The policy pack the Pulumi engine runs (``pulumi preview --policy-pack DIR``).

Constructing ``PolicyPack`` starts the analyzer server and blocks, so this file only builds the
pack; the rules come from the installed package (``pulumi_onence.policy``), the one source of
them for this pack, for ``onence policy-pack init`` copies and for the repository's ``policies/``.
"""

from pulumi_onence.policy import build_pack

build_pack()
