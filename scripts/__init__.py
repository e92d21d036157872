"""The repository's scripts and the drivers they share with the tests.

`scripts.stack` drives the Pulumi CLI against a throwaway stack; `scripts.gitops` plays the GitOps
pipeline on shared S3 state. `make demo`, `make demo-gitops` and the tests import them from here.
"""
