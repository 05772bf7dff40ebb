"""The contract spec language: schema, typed model, checks and worked examples."""
