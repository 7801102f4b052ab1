"""The test control plane behaves like a real cluster where an operator depends on it.

Each test exercises one API server or controller-manager feature that the
operator relies on, through the same client library the operator uses.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client, watch

from tests.kube import KubeAPI

pytestmark = pytest.mark.kube

GROUP = "testenv.dms.tanzu.community"
PLURAL = "widgets"

WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": f"{PLURAL}.{GROUP}"},
    "spec": {
        "group": GROUP,
        "scope": "Namespaced",
        "names": {"plural": PLURAL, "singular": "widget", "kind": "Widget"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {
                                    "size": {"type": "integer", "minimum": 1},
                                    "color": {"type": "string", "enum": ["red", "blue"]},
                                },
                                "x-kubernetes-validations": [
                                    {
                                        "rule": "!has(oldSelf.size) || self.size >= oldSelf.size",
                                        "message": "spec.size may only grow",
                                    }
                                ],
                            },
                            "status": {
                                "type": "object",
                                "properties": {"phase": {"type": "string"}},
                            },
                        },
                    }
                },
            }
        ],
    },
}


def _wait_for(condition: Any, timeout: float = 60.0, interval: float = 0.2) -> Any:
    """Poll `condition` until it returns a truthy value; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout:.0f}s: {condition.__doc__ or condition}")


@pytest.fixture(scope="module")
def widgets(kube_client: client.ApiClient) -> Iterator[client.CustomObjectsApi]:
    extensions = client.ApiextensionsV1Api(kube_client)
    try:
        extensions.create_custom_resource_definition(WIDGET_CRD)
    except client.ApiException as error:
        if error.status != 409:
            raise

    def established() -> bool:
        """The Widget CRD is Established."""
        crd = extensions.read_custom_resource_definition(f"{PLURAL}.{GROUP}")
        return any(
            c.type == "Established" and c.status == "True" for c in crd.status.conditions or []
        )

    _wait_for(established)
    yield client.CustomObjectsApi(kube_client)
    extensions.delete_custom_resource_definition(f"{PLURAL}.{GROUP}")


def _widget(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Widget",
        "metadata": {"name": name},
        "spec": spec,
    }


def test_invalid_enum_names_field(widgets: client.CustomObjectsApi, namespace: str) -> None:
    with pytest.raises(client.ApiException) as raised:
        widgets.create_namespaced_custom_object(
            GROUP, "v1", namespace, PLURAL, _widget("bad", size=1, color="green")
        )
    assert raised.value.status == 422
    assert "spec.color" in raised.value.body


def test_cel_rule_rejects_shrink(widgets: client.CustomObjectsApi, namespace: str) -> None:
    widgets.create_namespaced_custom_object(GROUP, "v1", namespace, PLURAL, _widget("w", size=3))
    with pytest.raises(client.ApiException) as raised:
        widgets.patch_namespaced_custom_object(
            GROUP, "v1", namespace, PLURAL, "w", {"spec": {"size": 2}}
        )
    assert raised.value.status == 422
    assert "spec.size may only grow" in raised.value.body
    grown = widgets.patch_namespaced_custom_object(
        GROUP, "v1", namespace, PLURAL, "w", {"spec": {"size": 4}}
    )
    assert grown["spec"]["size"] == 4


def test_unknown_fields_pruned(widgets: client.CustomObjectsApi, namespace: str) -> None:
    created = widgets.create_namespaced_custom_object(
        GROUP, "v1", namespace, PLURAL, _widget("pruned", size=1, shape="round")
    )
    assert "shape" not in created["spec"]
    stored = widgets.get_namespaced_custom_object(GROUP, "v1", namespace, PLURAL, "pruned")
    assert stored["spec"] == {"size": 1}


def test_status_subresource_ignores_spec(widgets: client.CustomObjectsApi, namespace: str) -> None:
    widgets.create_namespaced_custom_object(GROUP, "v1", namespace, PLURAL, _widget("s", size=1))
    updated = widgets.patch_namespaced_custom_object_status(
        GROUP, "v1", namespace, PLURAL, "s", {"spec": {"size": 9}, "status": {"phase": "Done"}}
    )
    assert updated["status"] == {"phase": "Done"}
    assert updated["spec"]["size"] == 1
    # And the main resource ignores status changes.
    patched = widgets.patch_namespaced_custom_object(
        GROUP, "v1", namespace, PLURAL, "s", {"status": {"phase": "Lost"}}
    )
    assert patched["status"] == {"phase": "Done"}


def test_watch_sees_update(widgets: client.CustomObjectsApi, namespace: str) -> None:
    created = widgets.create_namespaced_custom_object(
        GROUP, "v1", namespace, PLURAL, _widget("watched", size=1)
    )
    seen: list[tuple[str, int]] = []
    stream = watch.Watch()

    def consume() -> None:
        for event in stream.stream(
            widgets.list_namespaced_custom_object,
            GROUP,
            "v1",
            namespace,
            PLURAL,
            resource_version=created["metadata"]["resourceVersion"],
            timeout_seconds=30,
        ):
            seen.append((event["type"], event["object"]["spec"]["size"]))
            if event["type"] == "MODIFIED":
                stream.stop()

    watcher = threading.Thread(target=consume)
    watcher.start()
    widgets.patch_namespaced_custom_object(
        GROUP, "v1", namespace, PLURAL, "watched", {"spec": {"size": 5}}
    )
    watcher.join(timeout=40)
    assert ("MODIFIED", 5) in seen


def test_service_account_limited_by_role(
    kube_api: KubeAPI, kube_client: client.ApiClient, namespace: str
) -> None:
    core = client.CoreV1Api(kube_client)
    rbac = client.RbacAuthorizationV1Api(kube_client)
    core.create_namespaced_service_account(
        namespace, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="reader"))
    )
    rbac.create_namespaced_role(
        namespace,
        client.V1Role(
            metadata=client.V1ObjectMeta(name="configmap-reader"),
            rules=[client.V1PolicyRule(api_groups=[""], resources=["configmaps"], verbs=["list"])],
        ),
    )
    rbac.create_namespaced_role_binding(
        namespace,
        client.V1RoleBinding(
            metadata=client.V1ObjectMeta(name="reader"),
            role_ref=client.V1RoleRef(
                api_group="rbac.authorization.k8s.io", kind="Role", name="configmap-reader"
            ),
            subjects=[
                client.RbacV1Subject(kind="ServiceAccount", name="reader", namespace=namespace)
            ],
        ),
    )
    token = core.create_namespaced_service_account_token(
        "reader",
        namespace,
        client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[])),
    ).status.token

    configuration = client.Configuration()
    configuration.host = kube_client.configuration.host
    configuration.ssl_ca_cert = kube_client.configuration.ssl_ca_cert
    configuration.api_key = {"authorization": f"Bearer {token}"}
    with client.ApiClient(configuration) as as_reader:
        reader = client.CoreV1Api(as_reader)
        allowed = reader.list_namespaced_config_map(namespace)
        assert allowed.items is not None
        with pytest.raises(client.ApiException) as raised:
            reader.list_namespaced_secret(namespace)
        assert raised.value.status == 403
        with pytest.raises(client.ApiException) as raised_elsewhere:
            reader.list_namespaced_config_map("default")
        assert raised_elsewhere.value.status == 403


def test_owner_deletion_collects_secret(kube_client: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(kube_client)
    owner = core.create_namespaced_config_map(
        namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="owner"))
    )
    core.create_namespaced_secret(
        namespace,
        client.V1Secret(
            metadata=client.V1ObjectMeta(
                name="owned",
                owner_references=[
                    client.V1OwnerReference(
                        api_version="v1", kind="ConfigMap", name="owner", uid=owner.metadata.uid
                    )
                ],
            ),
            string_data={"key": "value"},
        ),
    )
    core.delete_namespaced_config_map("owner", namespace)

    def secret_gone() -> bool:
        """The owned Secret was garbage-collected."""
        try:
            core.read_namespaced_secret("owned", namespace)
        except client.ApiException as error:
            return error.status == 404
        return False

    _wait_for(secret_gone)


def test_namespace_deletion_finishes(kube_client: client.ApiClient) -> None:
    core = client.CoreV1Api(kube_client)
    name = f"doomed-{uuid.uuid4().hex[:8]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    core.create_namespaced_config_map(
        name, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="content"))
    )
    core.delete_namespace(name)

    def namespace_gone() -> bool:
        """The namespace and its content were deleted."""
        try:
            core.read_namespace(name)
        except client.ApiException as error:
            return error.status == 404
        return False

    _wait_for(namespace_gone, timeout=90)
