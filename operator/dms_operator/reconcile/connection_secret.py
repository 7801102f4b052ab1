"""The connection Secret of a DMSDatabase: its content, its ownership, and writing it.

The Secret follows the servicebinding.io conventions: type `servicebinding.io/<type>`,
keys `type`, `provider`, `host`, `port`, `database`, `username`, `password`, `uri`,
`jdbc-url`, and `ca.crt` where DMS has a CA. The DMSDatabase owns it (an owner reference
with `controller: true`), so Kubernetes deletes it with the resource; `Retain` deletion
removes that owner reference first.

Before DMS creates the database, the operator writes a pending Secret with the admin
password and without `host`, so that a crash after the create request never loses the
password of the database it created.

`connection_data` and `secret_body` are pure; `write_connection_secret` does the I/O and
writes only when the content differs.
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote

from dms_operator.clients.kube import KubeClient, KubeConflictError, KubeObject
from dms_operator.models.common import (
    API_GROUP,
    API_VERSION,
    DATABASE_KIND,
    DATABASE_LABEL,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
)
from dms_operator.models.conditions import Reason
from dms_operator.models.database import Engine
from dms_operator.reconcile.outcomes import Problem, permanent, transient

PROVIDER: Final = "vmware-dms"
CA_KEY: Final = "ca.crt"
PASSWORD_KEY: Final = "password"  # noqa: S105 (a key name, not a password)
_URI_SCHEMES: Final = {Engine.POSTGRES: "postgresql", Engine.MYSQL: "mysql"}


@dataclass(frozen=True)
class ConnectionDetails:
    """The connection details for clients; `host` is None until DMS reports one."""

    engine: Engine
    host: str | None
    port: int
    database: str
    username: str
    password: str = field(repr=False)
    ca_pem: str | None = field(default=None, repr=False)


def connection_data(details: ConnectionDetails) -> dict[str, str]:
    """Return the Secret's keys and plain-text values for `details`.

    Without a host (before DMS created the database) `host`, `uri` and `jdbc-url` are
    left out. `uri` carries the URL-encoded user and password; `jdbc-url` carries no
    credentials, because JDBC drivers take them as separate properties.
    """
    data = {
        "type": details.engine.binding_type,
        "provider": PROVIDER,
        "port": str(details.port),
        "database": details.database,
        "username": details.username,
        PASSWORD_KEY: details.password,
    }
    if details.host:
        host = f"[{details.host}]" if ":" in details.host else details.host
        scheme = _URI_SCHEMES[details.engine]
        user = quote(details.username, safe="")
        password = quote(details.password, safe="")
        database = quote(details.database, safe="")
        data["host"] = details.host
        data["uri"] = f"{scheme}://{user}:{password}@{host}:{details.port}/{database}"
        data["jdbc-url"] = f"jdbc:{scheme}://{host}:{details.port}/{database}"
    if details.ca_pem:
        data[CA_KEY] = details.ca_pem
    return data


def encode(data: Mapping[str, str]) -> dict[str, str]:
    """Base64-encode Secret values for the `data` field."""
    return {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}


def decode(data: Mapping[str, str] | None) -> dict[str, str]:
    """Decode a Secret's `data` field; values that are not UTF-8 text are skipped."""
    decoded: dict[str, str] = {}
    for key, value in (data or {}).items():
        try:
            decoded[key] = base64.b64decode(value).decode()
        except (ValueError, UnicodeDecodeError):
            continue
    return decoded


@dataclass(frozen=True)
class Owner:
    """The DMSDatabase that owns the Secret."""

    name: str
    uid: str


def owner_reference(owner: Owner) -> dict[str, Any]:
    """Return the owner reference that makes the DMSDatabase the Secret's controller."""
    return {
        "apiVersion": f"{API_GROUP}/{API_VERSION}",
        "kind": DATABASE_KIND,
        "name": owner.name,
        "uid": owner.uid,
        "controller": True,
        # Foreground deletion of the DMSDatabase then waits for the Secret to go.
        "blockOwnerDeletion": True,
    }


def secret_body(
    namespace: str, name: str, owner: Owner, engine: Engine, data: Mapping[str, str]
) -> dict[str, Any]:
    """Return the full Secret object for `data` (plain-text values)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {MANAGED_BY_LABEL: MANAGED_BY_VALUE, DATABASE_LABEL: owner.name},
            "ownerReferences": [owner_reference(owner)],
        },
        "type": f"servicebinding.io/{engine.binding_type}",
        "data": encode(data),
    }


class Ownership(enum.Enum):
    """The relation of an existing Secret to the DMSDatabase."""

    ABSENT = "absent"
    OWNED = "owned"
    # Written by the operator for a DMSDatabase of this name whose deletion retained it.
    RETAINED = "retained"
    FOREIGN = "foreign"


def ownership(secret: KubeObject | None, owner: Owner) -> Ownership:
    """Classify an existing Secret for `owner`."""
    if secret is None:
        return Ownership.ABSENT
    metadata = secret.get("metadata", {})
    references = metadata.get("ownerReferences") or []
    if any(reference.get("uid") == owner.uid for reference in references):
        return Ownership.OWNED
    controlled = any(reference.get("controller") for reference in references)
    labels = metadata.get("labels") or {}
    if (
        not controlled
        and labels.get(MANAGED_BY_LABEL) == MANAGED_BY_VALUE
        and labels.get(DATABASE_LABEL) == owner.name
    ):
        return Ownership.RETAINED
    return Ownership.FOREIGN


def stored_password(secret: KubeObject | None, owner: Owner) -> str | None:
    """Return the admin password kept in the Secret, if the Secret belongs to `owner`."""
    if ownership(secret, owner) not in (Ownership.OWNED, Ownership.RETAINED):
        return None
    assert secret is not None
    return decode(secret.get("data")).get(PASSWORD_KEY) or None


def needs_write(secret: KubeObject | None, owner: Owner, desired: Mapping[str, Any]) -> bool:
    """Return whether the Secret differs from `desired` (a `secret_body`)."""
    if secret is None:
        return True
    metadata = secret.get("metadata", {})
    if ownership(secret, owner) is not Ownership.OWNED:
        return True
    labels = metadata.get("labels") or {}
    wanted_labels = desired["metadata"]["labels"]
    if any(labels.get(key) != value for key, value in wanted_labels.items()):
        return True
    if secret.get("type") != desired["type"]:
        return True
    return bool((secret.get("data") or {}) != desired["data"])


def foreign_secret_problem(name: str, namespace: str) -> Problem:
    """Return the problem for a Secret of the connection name that another owner has."""
    return permanent(
        Reason.SECRET_CONFLICT,
        f"Secret {name!r} in namespace {namespace} exists and is not managed by this "
        "DMSDatabase; delete or rename it, or set spec.writeConnectionSecretToRef.name",
    )


async def write_connection_secret(
    kube: KubeClient, namespace: str, desired: Mapping[str, Any], owner: Owner
) -> bool:
    """Create or replace the connection Secret when it differs; return whether it wrote.

    A Secret of that name with another owner is never touched. The type of a Secret
    cannot change, so an own Secret of another type is reported, not replaced.
    """
    name = desired["metadata"]["name"]
    existing = await kube.read_secret(namespace, name)
    kind = ownership(existing, owner)
    if kind is Ownership.FOREIGN:
        raise foreign_secret_problem(name, namespace)
    if not needs_write(existing, owner, desired):
        return False
    try:
        if existing is None:
            await kube.create_secret(namespace, desired)
            return True
        if existing.get("type") != desired["type"]:
            raise permanent(
                Reason.SECRET_CONFLICT,
                f"Secret {name!r} has type {existing.get('type')}, not {desired['type']}; the "
                "type of a Secret cannot change, so delete the Secret and the operator writes "
                "it again",
            )
        body = dict(desired)
        metadata = dict(existing.get("metadata", {}))
        labels = {**(metadata.get("labels") or {}), **desired["metadata"]["labels"]}
        others = [
            reference
            for reference in metadata.get("ownerReferences") or []
            if reference.get("uid") != owner.uid
        ]
        metadata["labels"] = labels
        metadata["ownerReferences"] = [*others, owner_reference(owner)]
        body["metadata"] = metadata
        await kube.replace_secret(namespace, body)
    except KubeConflictError:
        raise transient(
            Reason.RECONCILE_ERROR,
            f"connection Secret {name!r} changed while the operator wrote it; retrying",
        ) from None
    return True


async def release_connection_secret(
    kube: KubeClient, namespace: str, name: str, owner: Owner
) -> bool:
    """Remove `owner`'s owner reference from the Secret, so that it outlives the resource.

    Returns whether the Secret exists and is released (or was not owned).
    """
    for _ in range(5):
        secret = await kube.read_secret(namespace, name)
        if secret is None:
            return False
        metadata = secret.get("metadata", {})
        references = metadata.get("ownerReferences") or []
        remaining = [reference for reference in references if reference.get("uid") != owner.uid]
        if len(remaining) == len(references):
            return True
        operations = [
            {
                "op": "test",
                "path": "/metadata/resourceVersion",
                "value": metadata.get("resourceVersion"),
            },
            {"op": "replace", "path": "/metadata/ownerReferences", "value": remaining},
        ]
        try:
            await kube.json_patch_secret(namespace, name, operations)
        except KubeConflictError:
            continue
        return True
    return False
