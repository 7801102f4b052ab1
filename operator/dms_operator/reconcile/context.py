"""The process-wide objects every reconcile uses, created once at operator start-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dms_operator.clients.dms import DMSClientPool
from dms_operator.clients.kube import KubeClient
from dms_operator.settings import OperatorSettings

# Posts a Kubernetes Event about the resource being reconciled: (type, reason, message).
EventSink = Callable[[str, str, str], None]


@dataclass(frozen=True)
class OperatorContext:
    """Settings, the shared DMS client pool and the Kubernetes client."""

    settings: OperatorSettings
    pool: DMSClientPool
    kube: KubeClient
