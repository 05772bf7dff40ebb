"""domain layer of the ledger (see docs/architecture.md)."""
