"""Credentials Secrets: reading them into `DMSCredentials`, and keeping them alive.

A credentials Secret referenced by a live DMSDatabase or DMSOrganization carries the
finalizer `dms.tanzu.community/credentials-in-use` (and a label of the same name, so
that the operator can watch only those Secrets). Deleting such a Secret then waits
until the last resource that references it is gone, because deleting a resource with
`deletionPolicy: Delete` needs the login. The operator removes the finalizer when no
live resource references the Secret any more: after a resource's deletion finishes,
and when a labelled Secret is being deleted.

Every finalizer change is a JSON patch that first tests the resourceVersion, so two
workers never overwrite each other's change.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from dms_operator.clients.kube import KubeClient, KubeConflictError, KubeObject
from dms_operator.models.common import (
    CREDENTIALS_FINALIZER,
    CREDENTIALS_IN_USE_LABEL,
    DATABASE_PLURAL,
    ORGANIZATION_PLURAL,
)
from dms_operator.models.conditions import Reason
from dms_operator.models.credentials import DMSCredentials, InvalidCredentialsError
from dms_operator.reconcile.outcomes import transient

_log = logging.getLogger(__name__)

# Attempts of a finalizer change that lost a race with another writer.
_PATCH_ATTEMPTS = 5


def _escape(key: str) -> str:
    """Escape a map key for a JSON pointer (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")


async def read_credentials(
    kube: KubeClient, namespace: str, name: str
) -> tuple[DMSCredentials, KubeObject]:
    """Read and parse the credentials Secret; return the credentials and the Secret.

    Raises a `Problem` with reason `CredentialsNotFound` or `CredentialsInvalid`, retried
    with backoff, so that creating or fixing the Secret recovers without a restart.
    """
    secret = await kube.read_secret(namespace, name)
    if secret is None:
        raise transient(
            Reason.CREDENTIALS_NOT_FOUND,
            f"credentials Secret {name!r} not found in namespace {namespace}; create it with the "
            "keys endpoint, username and password",
        )
    data: Mapping[str, str] = secret.get("data") or {}
    try:
        credentials = DMSCredentials.from_secret_data(data, f"{namespace}/{name}")
    except InvalidCredentialsError as error:
        raise transient(Reason.CREDENTIALS_INVALID, str(error)) from None
    return credentials, secret


def _has_protection(secret: KubeObject) -> bool:
    metadata = secret.get("metadata", {})
    labels = metadata.get("labels") or {}
    return CREDENTIALS_FINALIZER in (metadata.get("finalizers") or []) and (
        labels.get(CREDENTIALS_IN_USE_LABEL) == "true"
    )


def _protect_operations(secret: KubeObject) -> list[dict[str, Any]]:
    metadata = secret.get("metadata", {})
    operations: list[dict[str, Any]] = [
        {
            "op": "test",
            "path": "/metadata/resourceVersion",
            "value": metadata.get("resourceVersion"),
        }
    ]
    finalizers = metadata.get("finalizers")
    if finalizers is None:
        operations.append(
            {"op": "add", "path": "/metadata/finalizers", "value": [CREDENTIALS_FINALIZER]}
        )
    elif CREDENTIALS_FINALIZER not in finalizers:
        operations.append(
            {"op": "add", "path": "/metadata/finalizers/-", "value": CREDENTIALS_FINALIZER}
        )
    labels = metadata.get("labels")
    if labels is None:
        operations.append(
            {"op": "add", "path": "/metadata/labels", "value": {CREDENTIALS_IN_USE_LABEL: "true"}}
        )
    elif labels.get(CREDENTIALS_IN_USE_LABEL) != "true":
        path = f"/metadata/labels/{_escape(CREDENTIALS_IN_USE_LABEL)}"
        operations.append({"op": "add", "path": path, "value": "true"})
    return operations


async def protect_credentials(kube: KubeClient, namespace: str, secret: KubeObject) -> None:
    """Add the credentials-in-use finalizer and label to `secret` unless it has them.

    A Secret that is already being deleted cannot get new finalizers; it is left alone.
    """
    name = secret["metadata"]["name"]
    current: KubeObject | None = secret
    for _ in range(_PATCH_ATTEMPTS):
        if current is None or _has_protection(current):
            return
        if current["metadata"].get("deletionTimestamp"):
            return
        try:
            await kube.json_patch_secret(namespace, name, _protect_operations(current))
        except KubeConflictError:
            current = await kube.read_secret(namespace, name)
            continue
        _log.info(
            "Protected credentials Secret %s/%s with finalizer %s",
            namespace,
            name,
            CREDENTIALS_FINALIZER,
        )
        return


async def credentials_in_use(
    kube: KubeClient, namespace: str, secret_name: str, *, ignore_uid: str | None = None
) -> list[str]:
    """Return `kind/name` of every resource in `namespace` that references the Secret.

    The resource with uid `ignore_uid` (the one whose deletion is finishing) is left out.
    Resources that are being deleted still count, because their deletion may need the login.
    """
    users: list[str] = []
    for plural, kind in (
        (DATABASE_PLURAL, "DMSDatabase"),
        (ORGANIZATION_PLURAL, "DMSOrganization"),
    ):
        for item in await kube.list_resources(namespace, plural):
            metadata = item.get("metadata", {})
            if ignore_uid is not None and metadata.get("uid") == ignore_uid:
                continue
            reference = (item.get("spec") or {}).get("credentialsSecretRef") or {}
            if reference.get("name") == secret_name:
                users.append(f"{kind}/{metadata.get('name')}")
    return users


def _release_operations(secret: KubeObject) -> list[dict[str, Any]]:
    metadata = secret.get("metadata", {})
    operations: list[dict[str, Any]] = [
        {
            "op": "test",
            "path": "/metadata/resourceVersion",
            "value": metadata.get("resourceVersion"),
        }
    ]
    finalizers = metadata.get("finalizers") or []
    if CREDENTIALS_FINALIZER in finalizers:
        remaining = [item for item in finalizers if item != CREDENTIALS_FINALIZER]
        operations.append({"op": "replace", "path": "/metadata/finalizers", "value": remaining})
    if CREDENTIALS_IN_USE_LABEL in (metadata.get("labels") or {}):
        path = f"/metadata/labels/{_escape(CREDENTIALS_IN_USE_LABEL)}"
        operations.append({"op": "remove", "path": path})
    return operations


async def release_credentials(
    kube: KubeClient, namespace: str, secret_name: str, *, ignore_uid: str | None = None
) -> bool:
    """Remove the finalizer and label from the Secret when no live resource references it.

    Returns whether the Secret is free of the finalizer afterwards (also when it is gone).
    """
    for _ in range(_PATCH_ATTEMPTS):
        secret = await kube.read_secret(namespace, secret_name)
        if secret is None:
            return True
        operations = _release_operations(secret)
        if len(operations) == 1:
            return True
        users = await credentials_in_use(kube, namespace, secret_name, ignore_uid=ignore_uid)
        if users:
            _log.debug(
                "Credentials Secret %s/%s is still used by %s",
                namespace,
                secret_name,
                ", ".join(users),
            )
            return False
        try:
            await kube.json_patch_secret(namespace, secret_name, operations)
        except KubeConflictError:
            continue
        _log.info(
            "Released credentials Secret %s/%s: no resource references it", namespace, secret_name
        )
        return True
    return False
