"""Benchmarks: each bench_*.py prints its figures and ratios against its named baseline."""
