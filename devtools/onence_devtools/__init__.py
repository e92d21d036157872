"""The project's development tools, importable by tests, demos and the benchmark.

Not published: ``make venv`` installs this package (editable) into the repository's virtualenv.
``stack`` drives the real Pulumi CLI against a throwaway stack; ``plugin`` drives a provider
plugin over gRPC as the engine would; ``gitops`` plays the GitOps pipeline (runners, shared S3
state); ``demo`` and ``demo_gitops`` are what ``make demo`` and ``make demo-gitops`` run.
"""
