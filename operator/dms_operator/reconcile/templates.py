"""Resolution of names in the spec to DMS ids: template, instance plan, environment and
datastore. Pure functions over lists that the observe step read from DMS.

Each resolver returns the match or raises a permanent `Problem` whose message names the
value and lists the choices, because only a spec change can fix an unknown name.
"""

from __future__ import annotations

from collections.abc import Sequence

from dms_operator.models.conditions import Reason
from dms_operator.models.database import Engine
from dms_operator.models.dms import Datastore, Environment, InstancePlan, Template
from dms_operator.reconcile.outcomes import permanent


def version_key(version: str) -> tuple[int, ...]:
    """Return a sort key that orders `12.10.0` after `12.7.0`; non-numeric parts sort first."""
    key: list[int] = []
    for part in version.split("."):
        key.append(int(part) if part.isdigit() else -1)
    return tuple(key)


def version_matches(version: str, wanted: str) -> bool:
    """Return whether template `version` is `wanted` or starts with `wanted` plus a dot."""
    return version == wanted or version.startswith(f"{wanted}.")


def resolve_template(templates: Sequence[Template], engine: Engine, wanted: str) -> Template:
    """Return the newest published template of `engine` whose version matches `wanted`.

    `wanted` is a full version (`12.7.0`) or a prefix of whole components (`12`, `12.7`).
    """
    published = [
        template
        for template in templates
        if template.service_type == engine.dms_service_type and template.is_published
    ]
    matches = [template for template in published if version_matches(template.version, wanted)]
    if not matches:
        available = sorted({template.version for template in published}, key=version_key)
        choices = ", ".join(available) if available else "none"
        raise permanent(
            Reason.VERSION_NOT_FOUND,
            f"spec.version {wanted!r} matches no published {engine.value} template in DMS; "
            f"available versions: {choices}",
        )
    return max(matches, key=lambda template: version_key(template.version))


def resolve_plan(plans: Sequence[InstancePlan], name: str) -> InstancePlan:
    """Return the instance plan called `name`."""
    live = [plan for plan in plans if not plan.deleted]
    for plan in live:
        if plan.name == name:
            return plan
    names = ", ".join(sorted(plan.name for plan in live)) or "none"
    raise permanent(
        Reason.PLAN_NOT_FOUND,
        f"spec.instancePlan {name!r} is not an instance plan in DMS; available plans: {names}",
    )


def resolve_environment(
    environments: Sequence[Environment], wanted_id: str | None, org_id: str
) -> Environment:
    """Return the environment `wanted_id`, or the organization's only environment."""
    if wanted_id is not None:
        for environment in environments:
            if environment.id == wanted_id:
                return environment
        known = ", ".join(f"{env.name or '?'} ({env.id})" for env in environments) or "none"
        raise permanent(
            Reason.ENVIRONMENT_NOT_FOUND,
            f"spec.environmentId {wanted_id} is not an environment of organization {org_id}; "
            f"its environments: {known}",
        )
    if len(environments) == 1:
        return environments[0]
    if not environments:
        raise permanent(
            Reason.ENVIRONMENT_NOT_FOUND,
            f"organization {org_id} has no environment in DMS; ask the DMS provider to add one",
        )
    known = ", ".join(f"{env.name or '?'} ({env.id})" for env in environments)
    raise permanent(
        Reason.ENVIRONMENT_AMBIGUOUS,
        f"organization {org_id} has {len(environments)} environments ({known}); "
        "choose one with spec.environmentId",
    )


def resolve_datastore(environment: Environment, wanted: str | None) -> Datastore:
    """Return the datastore `wanted` of the environment, or its default datastore."""
    names = ", ".join(store.datastore_name for store in environment.datastores) or "none"
    if wanted is not None:
        for datastore in environment.datastores:
            if datastore.datastore_name == wanted:
                return datastore
        raise permanent(
            Reason.DATASTORE_NOT_FOUND,
            f"spec.dataStoreName {wanted!r} is not a datastore of environment "
            f"{environment.name or environment.id}; its datastores: {names}",
        )
    default = environment.default_datastore()
    if default is None:
        raise permanent(
            Reason.DATASTORE_NOT_FOUND,
            f"environment {environment.name or environment.id} has no default datastore; "
            f"choose one with spec.dataStoreName (its datastores: {names})",
        )
    return default
