"""The HTTP API (Litestar controllers), the `outcomes` CLI and the dashboard."""
