"""Reconciliation: runs per period, claims, remittances and the bridge between them."""
