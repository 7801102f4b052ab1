"""Fixtures shared by every test tier."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kubernetes import client

from tests.kube import KubeAPI, kube_api_session, temporary_namespace


@pytest.fixture(scope="session")
def kube_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeAPI]:
    """A real API server: started once per run, or the cluster named by KUBECONFIG."""
    with kube_api_session(tmp_path_factory.mktemp("controlplane")) as api:
        yield api


@pytest.fixture(scope="session")
def kube_client(kube_api: KubeAPI) -> Iterator[client.ApiClient]:
    api = kube_api.api_client()
    yield api
    api.close()


@pytest.fixture
def namespace(kube_client: client.ApiClient) -> Iterator[str]:
    """A fresh namespace for one test."""
    with temporary_namespace(kube_client) as name:
        yield name
