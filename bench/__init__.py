"""The deterministic data generator and the benchmarks.

`bench.generate.generate` makes participants, evidence and verification decisions for a contract
spec at any size (same seed, same bytes); `python -m bench --size 10k` times it.
"""
