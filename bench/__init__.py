"""Benchmarks: `make bench` runs `python -m bench` and writes BENCHMARKS.md and bench/out/*.json."""
