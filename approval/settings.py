"""The one place configuration is read from (environment variables prefixed ``APPROVAL_``)."""

from __future__ import annotations

import datetime as dt
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from connectors.base import Registry
from connectors.registries import REGISTRIES

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class RegistryEndpoint(BaseModel):
    """How one registry is reached: in-process stub (no url) or over HTTP.

    Set as JSON per registry of the table, e.g.
    ``APPROVAL_REGISTRY_MARKET='{"url": "http://127.0.0.1:8101"}'``.
    """

    url: str | None = Field(default=None, description="base URL; none: the in-process stub")
    connect_timeout_ms: float = Field(default=200.0, gt=0)
    read_timeout_ms: float = Field(default=600.0, gt=0, description="from the registry's p99")
    retries: int = Field(default=2, ge=0, le=2, description="idempotent reads only")
    backoff_ms: float = Field(default=50.0, gt=0, description="full-jitter exponential base")
    backoff_max_ms: float = Field(default=400.0, gt=0)
    breaker_threshold: int = Field(default=5, ge=1, description="failures that open it")
    breaker_reset_seconds: float = Field(default=30.0, gt=0, description="open → half-open")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APPROVAL_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'miaopi.sqlite3'}",
        description="SQLAlchemy URL; sqlite (embedded default) or postgresql+psycopg",
    )
    rules_dir: Path = Field(default=PROJECT_ROOT / "rules")
    rules_poll_seconds: float = Field(
        default=3.0, gt=0, description="how often each process checks for a newly active ruleset"
    )
    rule_change_flip_share: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="share of stored applications a rule change may flip in its backtest "
        "before the approver must acknowledge the flips with a written reason",
    )
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
        description="stub registries that act as down (market, food, realestate, population)",
    )
    registry_endpoints: dict[Registry, RegistryEndpoint] = Field(
        default_factory=dict,
        description="how each registry is reached; set per registry as registry_<name> "
        "(APPROVAL_REGISTRY_MARKET …); a registry not set is the in-process stub",
    )
    registry_keys_dir: Path = Field(
        default=PROJECT_ROOT / "var" / "registry-keys",
        description="Ed25519 keys of the registry exchanges: ours and each registry's public key",
    )
    verification_worker: bool = Field(
        default=True, description="run the pending-verification worker inside serve"
    )
    verification_poll_seconds: float = Field(default=1.0, gt=0)
    verification_backoff_seconds: float = Field(
        default=5.0, gt=0, description="first wait before re-querying; doubles, with jitter"
    )
    verification_backoff_max_seconds: float = Field(default=300.0, gt=0)
    verification_limit_seconds: float = Field(
        default=3600.0, ge=0, description="after this long unverified, to manual review"
    )
    verification_lease_seconds: float = Field(
        default=60.0, gt=0, description="a claimed application is retried by another worker after"
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
    supervision_webhooks: dict[str, str] = Field(
        default_factory=dict,
        description="department code → webhook URL (JSON); departments without one pull",
    )
    dispatch_interval_seconds: float = Field(
        default=2.0, ge=0, description="outbox dispatch period in serve; 0: use `miaopi dispatch`"
    )
    dispatch_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="how long a webhook post is reserved; a dispatcher that died while posting "
        "is taken over after this (keep it above the webhook timeout, 5 s)",
    )
    filing_interval_seconds: float = Field(
        default=1.0,
        ge=0,
        description="how often serve files registrations to the market registry; "
        "0: use `miaopi worker`",
    )
    filing_backoff_seconds: float = Field(
        default=5.0, gt=0, description="first wait before filing again; doubles, with jitter"
    )
    filing_backoff_max_seconds: float = Field(
        default=600.0, gt=0, description="the longest wait between attempts (never given up)"
    )
    filing_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="a claimed filing is taken over by another worker after this",
    )
    max_body_bytes: int = Field(
        default=256 * 1024, gt=0, description="largest request body accepted (413 above)"
    )
    auth_failure_limit: int = Field(
        default=20, ge=1, description="wrong API keys per client address and window before 429"
    )
    auth_failure_window_seconds: float = Field(
        default=60.0, gt=0, description="the window of auth_failure_limit"
    )
    host: str = "127.0.0.1"
    port: int = 8000

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            _RegistryEndpointsFromEnvironment(settings_cls),
            dotenv_settings,
            file_secret_settings,
        )

    @model_validator(mode="before")
    @classmethod
    def _gather_registry_endpoints(cls, data: Any) -> Any:
        """``registry_<name>`` for each registry of the table joins ``registry_endpoints``."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        endpoints = dict(data.get("registry_endpoints") or {})
        for spec in REGISTRIES:
            value = data.pop(_endpoint_key(spec.registry), None)
            if value is not None:
                endpoints[spec.registry] = json.loads(value) if isinstance(value, str) else value
        data["registry_endpoints"] = endpoints
        return data

    def registry_endpoint(self, registry: Registry) -> RegistryEndpoint:
        return self.registry_endpoints.get(registry) or RegistryEndpoint()

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")


def _endpoint_key(registry: Registry) -> str:
    return f"registry_{registry.value}"


class _RegistryEndpointsFromEnvironment(PydanticBaseSettingsSource):
    """``APPROVAL_REGISTRY_<NAME>`` for each registry of the table (the names follow the table)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        prefix = str(self.config.get("env_prefix", ""))
        environment = {name.lower(): value for name, value in os.environ.items()}
        found = {}
        for spec in REGISTRIES:
            key = _endpoint_key(spec.registry)
            value = environment.get(f"{prefix}{key}".lower())
            if value is not None:
                found[key] = value
        return found


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
