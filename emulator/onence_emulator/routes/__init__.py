"""The API's routers: authentication, webhooks, and the emulator's own admin namespace."""
