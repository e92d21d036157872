"""A local emulator of the 1NCE Management API (Cloud Integrator webhooks)."""
