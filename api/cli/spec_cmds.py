"""`outcomes spec ...`: validate a contract spec and run the examples embedded in it."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    @main.group()
    def spec() -> None:
        """Check contract specs."""
