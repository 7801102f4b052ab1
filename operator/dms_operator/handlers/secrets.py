"""kopf handler of credentials Secrets: release the finalizer of a Secret being deleted
once no live DMSDatabase or DMSOrganization references it any more.

Only Secrets labelled `dms.tanzu.community/credentials-in-use: "true"` are watched;
the operator sets that label together with its finalizer. This catches Secrets whose
resources switched to another Secret, as the deletion of a resource only releases the
Secret that it references at that moment.
"""

from __future__ import annotations

from typing import Any

import kopf

from dms_operator.handlers.common import operator_context
from dms_operator.models.common import CREDENTIALS_FINALIZER, CREDENTIALS_IN_USE_LABEL
from dms_operator.reconcile.credentials import release_credentials


async def release_if_unused(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Release a labelled Secret that is being deleted and no resource references."""
    metadata = body.metadata
    if not metadata.get("deletionTimestamp"):
        return
    if CREDENTIALS_FINALIZER not in (metadata.get("finalizers") or []):
        return
    context = operator_context(memo)
    await release_credentials(context.kube, str(metadata.namespace), str(metadata.name))


def register() -> None:
    """Register the Secret handler with kopf's default registry."""
    kopf.on.event(
        "v1", "secrets", labels={CREDENTIALS_IN_USE_LABEL: "true"}, id="credentials-in-use"
    )(release_if_unused)
