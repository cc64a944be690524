"""Benchmarks: runnable modules (python -m benchmarks.<name>) that print tables; not tests."""
