"""The one place configuration is read from (environment variables prefixed ``APPROVAL_``)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APPROVAL_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'miaopi.sqlite3'}",
        description="SQLAlchemy URL; sqlite (embedded default) or postgresql+psycopg",
    )
    rules_dir: Path = Field(default=PROJECT_ROOT / "rules")
    registry_data_dir: Path = Field(
        default=PROJECT_ROOT / "connectors" / "seed",
        description="folder of the stub registries' seed data (the synthetic world)",
    )
    registry_latency_ms: float = Field(default=0.0, ge=0, description="stub registry latency")
    registry_deadline_ms: float = Field(
        default=800.0, gt=0, description="one deadline for the three registry queries"
    )
    unavailable_registries: frozenset[str] = Field(
        default=frozenset(),
        description="stub registries that act as down (market, food, realestate)",
    )
    fixed_today: dt.date | None = Field(
        default=None, description="fix the service clock to this date (tests, demos, replays)"
    )
    signing_key_path: Path = Field(default=PROJECT_ROOT / "var" / "licence-signing-key.pem")
    signing_key_pem: SecretStr | None = Field(
        default=None, description="Ed25519 private key (PKCS#8 PEM); overrides signing_key_path"
    )
    public_base_url: str | None = Field(
        default=None,
        description="base of the verification links in QR codes; default http://HOST:PORT",
    )
    licence_font_path: Path | None = Field(
        default=None, description="a TrueType/TTC font with CJK glyphs for licence PDFs"
    )
    host: str = "127.0.0.1"
    port: int = 8000

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
