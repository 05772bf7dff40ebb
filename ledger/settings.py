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

    echo_sql: bool = False
    """Log every SQL statement (development only: statements carry no personal data, but
    parameters might, so keep it off in production)."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
