"""Kubernetes API access of the operator: Secrets and the operator's own custom resources.

The `kubernetes` client is blocking, so every call runs in a worker thread
(`asyncio.to_thread`) and never stalls kopf's event loop. Objects go in and come out as
plain dicts in the API's JSON shape (camelCase keys), read without the client's model
classes. Failures become `KubeError` (with `KubeConflictError` for a lost optimistic
update), whose messages name the object and never contain Secret data.

Patches state their content type explicitly: JSON patches for changes that must not race
(finalizers, owner references, guarded by a `test` of the resourceVersion), JSON merge
patches for custom resources and their status.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

from kubernetes import client, config

from dms_operator.models.common import API_GROUP, API_VERSION

_log = logging.getLogger(__name__)

JSON_PATCH: Final = "application/json-patch+json"
MERGE_PATCH: Final = "application/merge-patch+json"
# Seconds to wait for one Kubernetes API request (connect, read).
_REQUEST_TIMEOUT: Final = (10.0, 30.0)

KubeObject = dict[str, Any]
ResultT = TypeVar("ResultT")


class KubeError(Exception):
    """A failed Kubernetes API request; `status` is the HTTP status, if one arrived."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class KubeConflictError(KubeError):
    """The object changed since it was read (409, or a failed resourceVersion test)."""


class KubeNotFoundError(KubeError):
    """The object does not exist (404)."""


def _api_message(error: client.ApiException) -> str:
    body = error.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if isinstance(body, str) and body:
        try:
            parsed = json.loads(body)
        except ValueError:
            return " ".join(body.split())[:300]
        if isinstance(parsed, dict) and isinstance(parsed.get("message"), str):
            return " ".join(parsed["message"].split())[:300]
    return str(error.reason or "no message")


def _translate(error: client.ApiException, action: str) -> KubeError:
    status = error.status
    message = f"Kubernetes API {action} failed with HTTP {status}: {_api_message(error)}"
    if status == 404:
        return KubeNotFoundError(message, status)
    # A JSON patch whose `test` operation fails is rejected with 422.
    if status == 409 or (status == 422 and "test operation" in message.lower()):
        return KubeConflictError(message, status)
    return KubeError(message, status)


def _secret_model(body: Mapping[str, Any]) -> client.V1Secret:
    model = client.V1Secret.from_dict(dict(body))
    if model is None:
        raise ValueError("a Secret body is required")
    return model


class KubeClient:
    """Asynchronous access to Secrets and to the DMS custom resources."""

    def __init__(self, api_client: client.ApiClient) -> None:
        self._api_client = api_client
        self._core = client.CoreV1Api(api_client)
        self._custom = client.CustomObjectsApi(api_client)

    @classmethod
    def from_environment(cls) -> KubeClient:
        """Connect with the pod's service account, else with the kubeconfig (`KUBECONFIG`)."""
        try:
            config.load_incluster_config()  # type: ignore[no-untyped-call]
            _log.debug("Kubernetes client uses the in-cluster service account")
        except config.ConfigException:
            config.load_kube_config()  # type: ignore[no-untyped-call]
            _log.debug("Kubernetes client uses the kubeconfig")
        return cls(client.ApiClient())

    def close(self) -> None:
        """Close the connection pool."""
        self._api_client.close()  # type: ignore[no-untyped-call]

    async def _run(self, action: str, call: Callable[[], Any]) -> KubeObject:
        def blocking() -> KubeObject:
            try:
                response = call()
            except client.ApiException as error:
                raise _translate(error, action) from None
            data = response.data
            parsed: KubeObject = json.loads(data) if data else {}
            return parsed

        return await asyncio.to_thread(blocking)

    # Secrets

    async def read_secret(self, namespace: str, name: str) -> KubeObject | None:
        """Return the Secret, or None when it does not exist."""
        try:
            return await self._run(
                f"GET secret {namespace}/{name}",
                lambda: self._core.read_namespaced_secret(
                    name, namespace, _preload_content=False, _request_timeout=_REQUEST_TIMEOUT
                ),
            )
        except KubeNotFoundError:
            return None

    async def create_secret(self, namespace: str, body: Mapping[str, Any]) -> KubeObject:
        """Create a Secret; raises `KubeConflictError` when the name is taken."""
        name = body.get("metadata", {}).get("name", "?")
        return await self._run(
            f"POST secret {namespace}/{name}",
            lambda: self._core.create_namespaced_secret(
                namespace,
                _secret_model(body),
                _preload_content=False,
                _request_timeout=_REQUEST_TIMEOUT,
            ),
        )

    async def replace_secret(self, namespace: str, body: Mapping[str, Any]) -> KubeObject:
        """Replace a Secret; `body.metadata.resourceVersion` guards against lost updates."""
        name = body.get("metadata", {}).get("name", "?")
        return await self._run(
            f"PUT secret {namespace}/{name}",
            lambda: self._core.replace_namespaced_secret(
                name,
                namespace,
                _secret_model(body),
                _preload_content=False,
                _request_timeout=_REQUEST_TIMEOUT,
            ),
        )

    async def json_patch_secret(
        self, namespace: str, name: str, operations: Sequence[Mapping[str, Any]]
    ) -> KubeObject:
        """Apply a JSON patch (RFC 6902) to a Secret."""
        return await self._run(
            f"PATCH secret {namespace}/{name}",
            lambda: self._core.patch_namespaced_secret(
                name,
                namespace,
                [dict(operation) for operation in operations],
                _content_type=JSON_PATCH,
                _preload_content=False,
                _request_timeout=_REQUEST_TIMEOUT,
            ),
        )

    async def list_secrets(self, namespace: str, label_selector: str) -> list[KubeObject]:
        """Return the Secrets in `namespace` that match `label_selector`."""
        listing = await self._run(
            f"LIST secrets in {namespace} ({label_selector})",
            lambda: self._core.list_namespaced_secret(
                namespace,
                label_selector=label_selector,
                _preload_content=False,
                _request_timeout=_REQUEST_TIMEOUT,
            ),
        )
        items: list[KubeObject] = listing.get("items", [])
        return items

    # Custom resources of the dms.tanzu.community group

    async def read_resource(self, namespace: str, plural: str, name: str) -> KubeObject | None:
        """Return a DMSDatabase or DMSOrganization, or None when it does not exist."""
        try:
            return await self._run(
                f"GET {plural} {namespace}/{name}",
                lambda: self._custom.get_namespaced_custom_object(
                    API_GROUP,
                    API_VERSION,
                    namespace,
                    plural,
                    name,
                    _preload_content=False,
                    _request_timeout=_REQUEST_TIMEOUT,
                ),
            )
        except KubeNotFoundError:
            return None

    async def list_resources(self, namespace: str, plural: str) -> list[KubeObject]:
        """Return every object of `plural` in the namespace."""
        listing = await self._run(
            f"LIST {plural} in {namespace}",
            lambda: self._custom.list_namespaced_custom_object(
                API_GROUP,
                API_VERSION,
                namespace,
                plural,
                _preload_content=False,
                _request_timeout=_REQUEST_TIMEOUT,
            ),
        )
        items: list[KubeObject] = listing.get("items", [])
        return items

    async def merge_patch_resource(
        self, namespace: str, plural: str, name: str, patch: Mapping[str, Any]
    ) -> KubeObject:
        """Apply a JSON merge patch to the object (not its status)."""
        return await self._run(
            f"PATCH {plural} {namespace}/{name}",
            lambda: self._custom.patch_namespaced_custom_object(
                API_GROUP,
                API_VERSION,
                namespace,
                plural,
                name,
                dict(patch),
                _content_type=MERGE_PATCH,
                _preload_content=False,
                _request_timeout=_REQUEST_TIMEOUT,
            ),
        )

    async def patch_status(
        self, namespace: str, plural: str, name: str, status: Mapping[str, Any]
    ) -> KubeObject:
        """Merge `status` into the object's status subresource."""
        return await self._run(
            f"PATCH {plural} {namespace}/{name} status",
            lambda: self._custom.patch_namespaced_custom_object_status(
                API_GROUP,
                API_VERSION,
                namespace,
                plural,
                name,
                {"status": dict(status)},
                _content_type=MERGE_PATCH,
                _preload_content=False,
                _request_timeout=_REQUEST_TIMEOUT,
            ),
        )
