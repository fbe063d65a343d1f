"""Benchmarks: `python -m lru_rtrl.bench` prints time / memory tables with ratios to BPTT."""
