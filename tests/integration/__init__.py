"""Tests that start the emulator process (the pure unit tests live in tests/unit)."""
