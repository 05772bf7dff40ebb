"""The benchmarks.

`python -m bench --size 10k` times the ledger on what the product's generator makes
(synthetic.generate: participants, evidence and verification decisions for a contract spec at
any size, same seed, same bytes).
"""
