"""Settings of the DMS simulator: one pydantic-settings class, read from the
environment (prefix `DMS_SIM_`) and overridden by the command line in `cli`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_PROVIDER_EMAIL = "admin@dms-simulator.local"
# Satisfies the DMS password rule; only meant for a simulator on loopback.
DEFAULT_PROVIDER_PASSWORD = "Admin123!"  # noqa: S105


class SimulatorConfig(BaseSettings):
    """Everything that changes how the simulator behaves."""

    model_config = SettingsConfigDict(env_prefix="DMS_SIM_", extra="ignore")

    host: str = Field("127.0.0.1", description="address to listen on")
    port: int = Field(0, ge=0, le=65535, description="TCP port; 0 picks a free port")
    provider_email: str = Field(
        DEFAULT_PROVIDER_EMAIL, description="login (email) of the seeded provider admin"
    )
    provider_password: SecretStr = Field(
        SecretStr(DEFAULT_PROVIDER_PASSWORD), description="password of the seeded provider admin"
    )
    provider_company_name: str = Field("Provider", description="companyName of the provider org")
    task_seconds: float = Field(
        0.0,
        ge=0.0,
        description="seconds a task takes; 0 finishes every task before the request returns",
    )
    task_steps: int = Field(4, ge=1, le=100, description="progress steps of a timed task")
    token_ttl_seconds: float = Field(1800.0, gt=0, description="lifetime of a session token")
    state_file: Path | None = Field(
        None, description="JSON file that keeps the state across restarts; none keeps it in memory"
    )
    postgres_admin_url: SecretStr | None = Field(
        None,
        description="postgresql://user:password@host:port/db of a server that hosts the "
        "PostgreSQL databases; none simulates them",
    )
    mysql_admin_url: SecretStr | None = Field(
        None,
        description="mysql://user:password@host:port/ of a server that hosts the MySQL "
        "databases; none simulates them",
    )
    tls: bool = Field(False, description="serve HTTPS with a generated self-signed CA")
    tls_ca_file: Path | None = Field(None, description="where to write the generated CA (PEM)")
    enable_control_api: bool = Field(False, description="serve the test-control API /_simulator")
    datastores: Annotated[list[str], NoDecode] = Field(
        ["vsanDatastore", "nfsDatastore"],
        min_length=1,
        description="datastores of each new org's environment; the first is the default",
    )
    placeholder_domain: str = Field(
        "simulated.invalid",
        description="domain of the fqdn reported for a database without a real backend",
    )
    url_file: Path | None = Field(None, description="file that receives the base URL when ready")
    log_level: str = Field("INFO", description="level of the simulator's log")

    @field_validator("datastores", mode="before")
    @classmethod
    def _split_datastores(cls, value: object) -> object:
        # The environment variable is a comma-separated list.
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    @field_validator("datastores")
    @classmethod
    def _unique_datastores(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("datastore names must be unique")
        return value
