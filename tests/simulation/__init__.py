"""The deterministic simulator: random histories driven through the whole ledger."""
