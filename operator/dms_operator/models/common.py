"""Shared parts of the user-facing API: API names, references, enums and error text.

The kinds themselves live in `database.py` and `organization.py`; the status
conditions and their builders live in `conditions.py`. Every model here mirrors a
piece of the CRD schemas under `crds/`, and `tests/unit/test_crd_models.py` proves
that the two agree, so a change to one needs the same change to the other.

Defaults are applied in code (the `effective_*` helpers of each spec), never in
the CRD schema, because defaults written by the API server show up as drift in
GitOps tools such as Argo CD.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

API_GROUP = "dms.tanzu.community"
API_VERSION = "v1alpha1"
DATABASE_KIND = "DMSDatabase"
DATABASE_PLURAL = "dmsdatabases"
ORGANIZATION_KIND = "DMSOrganization"
ORGANIZATION_PLURAL = "dmsorganizations"

PAUSED_ANNOTATION = f"{API_GROUP}/paused"
RECONCILE_INTERVAL_ANNOTATION = f"{API_GROUP}/reconcile-interval"
# `"true"` lets the operator take over a DMS object of the same name that it did not create.
ADOPT_ANNOTATION = f"{API_GROUP}/adopt"
# Written by the operator just before its create request to DMS, so that after a restart
# an object of that name found in DMS is treated as its own.
CREATE_REQUESTED_ANNOTATION = f"{API_GROUP}/create-requested-at"
# The annotations a user sets; a change to one of them starts a reconcile.
USER_ANNOTATIONS = (PAUSED_ANNOTATION, RECONCILE_INTERVAL_ANNOTATION, ADOPT_ANNOTATION)

# The finalizer of DMSDatabase and DMSOrganization objects (kopf's).
FINALIZER = f"{API_GROUP}/finalizer"
# The finalizer and label the operator puts on a credentials Secret while a live
# resource references it; the label lets the operator watch only those Secrets.
CREDENTIALS_FINALIZER = f"{API_GROUP}/credentials-in-use"
CREDENTIALS_IN_USE_LABEL = f"{API_GROUP}/credentials-in-use"
# Labels of the Secrets the operator writes.
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "dms-operator"
DATABASE_LABEL = f"{API_GROUP}/database"
ORGANIZATION_LABEL = f"{API_GROUP}/organization"

# A DNS subdomain (RFC 1123), the rule Kubernetes applies to Secret and most object names.
DNS_SUBDOMAIN_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
DNS_SUBDOMAIN_MAX_LENGTH = 253
# The rule Kubernetes applies to the keys of a Secret's data.
SECRET_KEY_PATTERN = r"^[-._a-zA-Z0-9]+$"  # noqa: S105 (a key-name rule, not a password)
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
# The rule `metav1.Condition` applies to reasons: CamelCase words.
CONDITION_REASON_PATTERN = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"
# A 24-hour clock time, HH:MM.
TIME_OF_DAY_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"

# A Kubernetes object name (a DNS subdomain), as Secrets and custom resources use.
ObjectName = Annotated[
    str, Field(min_length=1, max_length=DNS_SUBDOMAIN_MAX_LENGTH, pattern=DNS_SUBDOMAIN_PATTERN)
]
Uuid = Annotated[str, Field(min_length=36, max_length=36, pattern=UUID_PATTERN)]
TimeOfDay = Annotated[str, Field(min_length=5, max_length=5, pattern=TIME_OF_DAY_PATTERN)]


class SpecModel(BaseModel):
    """Base of every spec model: camelCase on the wire and no unknown fields."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )


class StatusModel(BaseModel):
    """Base of every status model: camelCase on the wire.

    Unknown fields are ignored rather than rejected, so that an operator that reads a
    status written by a newer or older release does not fail on it.
    """

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def to_patch(self) -> dict[str, object]:
        """Return the status as a JSON merge patch body with camelCase keys.

        A top-level field that is None becomes null, so the patch removes it from
        the stored status (a finished `task`, for example). Nested None values are
        left out, because lists are replaced whole in a merge patch and the schema
        has no nullable fields.
        """
        data: dict[str, object] = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        for name, field in type(self).model_fields.items():
            if getattr(self, name) is None:
                data[field.alias or name] = None
        return data


class DeletionPolicy(enum.StrEnum):
    """The action that deleting the custom resource takes on the object in DMS."""

    DELETE = "Delete"
    RETAIN = "Retain"


class SecretReference(SpecModel):
    """A reference to a Secret in the namespace of the referring resource."""

    name: ObjectName = Field(description="Name of the Secret.")


class SecretKeySelector(SpecModel):
    """A reference to one key of a Secret in the namespace of the referring resource."""

    name: ObjectName = Field(description="Name of the Secret.")
    key: str | None = Field(
        default=None,
        min_length=1,
        max_length=DNS_SUBDOMAIN_MAX_LENGTH,
        pattern=SECRET_KEY_PATTERN,
        description="Key in the Secret's data. Defaults to `password`.",
    )

    def effective_key(self) -> str:
        """Return the key to read, `password` when none is given."""
        return self.key if self.key is not None else "password"


class ObjectReference(SpecModel):
    """A reference to another custom resource in the same namespace."""

    name: ObjectName = Field(description="Name of the resource.")


class ConditionStatus(enum.StrEnum):
    """The status of a condition."""

    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


class Condition(StatusModel):
    """A standard Kubernetes status condition (the shape of `metav1.Condition`)."""

    type: str = Field(min_length=1, max_length=316)
    status: ConditionStatus
    reason: str = Field(min_length=1, max_length=1024, pattern=CONDITION_REASON_PATTERN)
    message: str = Field(max_length=32768)
    observed_generation: int | None = Field(default=None, ge=0)
    last_transition_time: datetime


# The maximum number of conditions in a status; each kind sets two today.
MAX_CONDITIONS = 16


def describe_validation_error(error: ValidationError, root: str = "spec") -> str:
    """Return a one-line message naming the field path of each error in `error`.

    The path uses the camelCase names from the manifest, prefixed by `root`, for
    example `spec.backup.startTime: String should match pattern '...'`. Several
    errors are joined with `; `. The input values are left out, because one may be a
    secret; pydantic's own messages name the rule, not the value.
    """
    parts: list[str] = []
    for item in error.errors(include_url=False, include_input=False):
        path = root
        for location in item["loc"]:
            if isinstance(location, int):
                path += f"[{location}]"
            else:
                path += f".{location}"
        message = " ".join(str(item["msg"]).split())
        parts.append(f"{path}: {message}")
    return "; ".join(parts)


def is_paused(annotations: Mapping[str, str]) -> bool:
    """Return whether the `dms.tanzu.community/paused` annotation is `"true"`."""
    return annotations.get(PAUSED_ANNOTATION, "").strip().lower() == "true"


def is_adoption_allowed(annotations: Mapping[str, str]) -> bool:
    """Return whether the `dms.tanzu.community/adopt` annotation is `"true"`."""
    return annotations.get(ADOPT_ANNOTATION, "").strip().lower() == "true"


def reconcile_interval(annotations: Mapping[str, str]) -> int | None:
    """Return the drift-check interval in seconds set by annotation, or None when unset.

    Raises ValueError naming the annotation when its value is not a positive integer.
    """
    raw = annotations.get(RECONCILE_INTERVAL_ANNOTATION)
    if raw is None:
        return None
    try:
        seconds = int(raw.strip())
    except ValueError:
        raise ValueError(
            f"annotation {RECONCILE_INTERVAL_ANNOTATION} must be a whole number of seconds, "
            f"got {raw!r}"
        ) from None
    if seconds < 1:
        raise ValueError(
            f"annotation {RECONCILE_INTERVAL_ANNOTATION} must be at least 1 second, got {seconds}"
        )
    return seconds
