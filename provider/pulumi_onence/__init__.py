"""Manage 1NCE Cloud Integrator webhooks as code with Pulumi."""
