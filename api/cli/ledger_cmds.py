"""`outcomes contract|participants|evidence|ledger ...`: load facts and read the ledger."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    del main
