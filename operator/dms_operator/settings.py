"""Operator settings, read from `DMS_OPERATOR_*` environment variables at start-up.

One class for the whole process. Every field has a description, which is the
user documentation of the matching environment variable (the name is the prefix
plus the field name in upper case, e.g. `DMS_OPERATOR_DMS_READ_TIMEOUT_SECONDS`).
"""

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class OperatorSettings(BaseSettings):
    """Process-wide configuration of dms-operator."""

    model_config = SettingsConfigDict(env_prefix="DMS_OPERATOR_", frozen=True, extra="ignore")

    dms_connect_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Seconds to wait for a TCP and TLS connection to the DMS provider.",
    )
    dms_read_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        description="Seconds to wait for each chunk of a DMS response.",
    )
    dms_write_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Seconds to wait for each chunk of a request body to be sent to DMS.",
    )
    dms_pool_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description=(
            "Seconds a request waits for a free connection when all connections to a DMS "
            "endpoint are busy."
        ),
    )
    dms_max_connections: int = Field(
        default=20,
        ge=1,
        description="Maximum number of open connections to one DMS endpoint.",
    )
    dms_retry_attempts: int = Field(
        default=4,
        ge=1,
        description=(
            "Maximum number of attempts, the first one included, for a DMS request that is "
            "safe to repeat (GET, PUT, DELETE, login and token renewal) and failed with a "
            "retryable error (429, 5xx, connection error or timeout). 1 turns retries off."
        ),
    )
    dms_retry_backoff_base_seconds: float = Field(
        default=0.5,
        gt=0,
        description=(
            "Base of the exponential backoff between DMS retries: the wait before retry n is "
            "a random value between 0 and base * 2^(n-1) seconds, capped by "
            "dms_retry_backoff_max_seconds."
        ),
    )
    dms_retry_backoff_max_seconds: float = Field(
        default=10.0,
        gt=0,
        description=(
            "Maximum seconds of one wait between DMS retries. A Retry-After header asking "
            "for a longer wait is not waited for; the error is raised so that the caller can "
            "reschedule."
        ),
    )
    dms_token_renew_margin_seconds: float = Field(
        default=120.0,
        ge=0,
        description=(
            "Seconds before the DMS token expires (its JWT exp claim) at which the operator "
            "renews it. Capped at half the token's lifetime."
        ),
    )
    dms_login_failure_backoff_seconds: float = Field(
        default=60.0,
        ge=0,
        description=(
            "Seconds after DMS rejects a login during which the same credentials are not "
            "tried again; calls fail at once with the rejection, because repeated failed "
            "logins may lock the DMS account. A changed credentials Secret is tried at once."
        ),
    )
    dms_path_prefix: str = Field(
        default="/provider",
        description=(
            "Path prefix of every DMS API route, e.g. /provider for /provider/session. "
            "Empty for an appliance that serves the routes without a prefix."
        ),
    )
    dms_list_page_size: int = Field(
        default=100,
        ge=1,
        le=2000,
        description="Page size requested from DMS list endpoints (DMS allows at most 2000).",
    )
    dms_list_max_pages: int = Field(
        default=200,
        ge=1,
        description=(
            "Maximum number of pages the operator reads from one DMS list endpoint. A longer "
            "list fails instead of being cut short, because a partial list could hide an "
            "existing object and lead to a duplicate."
        ),
    )

    drift_interval_seconds: int = Field(
        default=300,
        ge=1,
        description=(
            "Default seconds between two drift checks of one resource, that is, between two "
            "reads of its DMS object. The annotation dms.tanzu.community/reconcile-interval "
            "overrides it per resource."
        ),
    )
    drift_timer_seconds: float = Field(
        default=30.0,
        gt=0,
        description=(
            "Seconds between two wake-ups of each resource's drift timer. A wake-up reads DMS "
            "only when the resource's drift interval has passed since status.lastSyncTime, so "
            "this is the precision of the drift interval, not a polling rate."
        ),
    )
    status_sync_refresh_seconds: float = Field(
        default=3600.0,
        ge=0,
        description=(
            "How old status.lastSyncTime may get before a drift check that changed nothing "
            "writes it anyway. Below that age such a check writes nothing to Kubernetes; 0 "
            "writes lastSyncTime on every check."
        ),
    )
    drift_jitter_seconds: float = Field(
        default=30.0,
        ge=0,
        description=(
            "Maximum seconds added to each resource's drift interval. Each resource gets a "
            "fixed share of it derived from its uid, so that resources created together do "
            "not all read DMS at the same moment."
        ),
    )
    task_poll_delay_seconds: float = Field(
        default=10.0,
        gt=0,
        description=(
            "Seconds between two reads of a running DMS task (create, delete, scale, ...). "
            "The handler returns between reads instead of waiting."
        ),
    )
    error_backoff_base_seconds: float = Field(
        default=5.0,
        gt=0,
        description=(
            "First retry delay after a reconcile fails with an error that may go away (DMS "
            "unavailable, credentials Secret missing, login rejected). Each further failure "
            "doubles the delay, up to error_backoff_max_seconds."
        ),
    )
    error_backoff_max_seconds: float = Field(
        default=300.0,
        gt=0,
        description="Maximum retry delay after repeated reconcile failures.",
    )

    metrics_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="TCP port of the Prometheus /metrics endpoint; 0 serves no metrics.",
    )

    @field_validator("dms_path_prefix")
    @classmethod
    def _normalise_path_prefix(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith("/"):
            raise ValueError(f"must start with '/' (got {value!r}), e.g. /provider")
        return value
