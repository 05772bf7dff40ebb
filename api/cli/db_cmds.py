"""`outcomes db ...`: the database schema."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    del main
