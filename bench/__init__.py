"""Benchmarks of the provider against the emulator, beside a no-op provider and plain HTTP.

Run with ``make bench`` (``python -m bench.run``); results go to ``bench/RESULTS.md`` and
``bench/results/latest.json``. Not part of the test suite.
"""
