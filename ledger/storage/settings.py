"""Configuration from the environment (prefix `OUTCOMES_`), one docstring per field."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings read from `OUTCOMES_*` environment variables (or a `.env` file)."""

    model_config = SettingsConfigDict(env_prefix="OUTCOMES_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./outcomes.sqlite"
    """SQLAlchemy URL of the ledger database; SQLite in the working folder by default,
    `postgresql+psycopg://user@host/db` in production."""

    sqlite_busy_timeout_ms: int = 5000
    """How long an SQLite writer waits for another writer's lock before giving up."""

    postgres_lock_timeout_ms: int = 5000
    """How long a PostgreSQL transaction waits for a lock another holds (`lock_timeout`)
    before giving up: the API then answers 503 with Retry-After, the CLI says it is busy."""

    api_upload_max_bytes: int = 20_000_000
    """The largest request body the API reads, in bytes (an uploaded file, JSON rows, a
    spec is held to its own smaller limit); larger is refused with 413 before it is read."""

    api_upload_max_rows: int = 200_000
    """The most rows one upload through the API may hold (a file's or JSON rows); more is
    413. Larger files go through the CLI, or in parts."""

    cli_upload_max_bytes: int = 2_000_000_000
    """The largest file the CLI imports, in bytes (4 million evidence rows are about 300 MB)."""

    cli_upload_max_rows: int = 10_000_000
    """The most rows one file imported through the CLI may hold."""

    upload_max_cell_chars: int = 500
    """The most characters a cell of an upload may hold (an id, a reference, a reason), on
    every path; a longer one is refused at its row and column."""

    echo_sql: bool = False
    """Log every SQL statement (development only: statements carry no personal data, but
    parameters might, so keep it off in production)."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
