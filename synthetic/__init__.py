"""Deterministic participants, evidence and verification decisions for a contract spec.

`synthetic.generate.generate` makes the files a provider and a verifier would upload, at any size
(same spec, size and seed: the same bytes). The product owns it: `outcomes demo` seeds its
demonstration contract with it, and the benchmarks (bench/) time the ledger on what it makes.
It sits above the ledger and reconciliation (it takes their column names and period ids) and
below api/ (docs/architecture.md).
"""
