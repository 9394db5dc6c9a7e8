"""Benchmarks: `make bench` (or `python -m bench`). Each figure is a ratio against a baseline
measured in the same run, because machines are noisy."""
