"""Benchmarks of heat-snapshots: python -m benchmarks --help."""
