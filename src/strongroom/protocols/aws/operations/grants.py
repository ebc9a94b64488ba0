"""Grant operations."""

from __future__ import annotations

from typing import Any

from strongroom.domain.context import RequestContext
from strongroom.domain.grants import Grant
from strongroom.errors import InvalidRequestError
from strongroom.protocols.aws import shapes
from strongroom.protocols.aws.key_ids import key_ref, optional_key_ref
from strongroom.service.core import Core


def grant_entry(core: Core, grant: Grant) -> dict[str, Any]:
    key = core.grants.key_of(grant)
    entry: dict[str, Any] = {
        "KeyId": key.arn if key is not None else grant.key_id,
        "GrantId": grant.grant_id,
        "CreationDate": grant.created_at,
        "GranteePrincipal": grant.grantee_principal,
        "IssuingAccount": grant.issuing_account,
        "Operations": list(grant.operations),
    }
    if grant.name:
        entry["Name"] = grant.name
    if grant.retiring_principal:
        entry["RetiringPrincipal"] = grant.retiring_principal
    constraints = {}
    if grant.context_equals is not None:
        constraints["EncryptionContextEquals"] = grant.context_equals
    if grant.context_subset is not None:
        constraints["EncryptionContextSubset"] = grant.context_subset
    if constraints:
        entry["Constraints"] = constraints
    return entry


def create_grant(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    if p.get("GranteePrincipal") is None:  # optional in botocore's model, needed by every grant
        raise InvalidRequestError("1 validation error detected: Value null at 'granteePrincipal' failed to satisfy "
                                  "constraint: Member must not be null")
    constraints = p.get("Constraints") or {}
    grant, token = core.grants.create_grant(
        ctx, key_ref(p["KeyId"],
                     alias=False), p["GranteePrincipal"], p["Operations"], retiring=p.get("RetiringPrincipal"),
        context_equals=constraints.get("EncryptionContextEquals"),
        context_subset=constraints.get("EncryptionContextSubset"), name=p.get("Name"),
        check_only=bool(p.get("DryRun")))
    return {"GrantToken": token, "GrantId": grant.grant_id}


def list_grants(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    found = core.grants.list_grants(ctx, key_ref(p["KeyId"]), grant_id=p.get("GrantId"),
                                    grantee=p.get("GranteePrincipal"), limit=p.get("Limit"), marker=p.get("Marker"))
    return shapes.page("Grants", [grant_entry(core, g) for g in found.items], found.next_marker)


def list_retirable_grants(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    found = core.grants.list_retirable_grants(ctx, p.get("RetiringPrincipal", ""), p.get("Limit"), p.get("Marker"))
    return shapes.page("Grants", [grant_entry(core, g) for g in found.items], found.next_marker)


def retire_grant(core: Core, ctx: RequestContext, p: dict[str, Any]) -> None:
    core.grants.retire_grant(ctx, token=p.get("GrantToken"), key_ref=optional_key_ref(p.get("KeyId")),
                             grant_id=p.get("GrantId"),
                             check_only=bool(p.get("DryRun")))


def revoke_grant(core: Core, ctx: RequestContext, p: dict[str, Any]) -> None:
    core.grants.revoke_grant(ctx, key_ref(p["KeyId"], alias=False), p["GrantId"], check_only=bool(p.get("DryRun")))


HANDLERS = {
    "CreateGrant": create_grant,
    "ListGrants": list_grants,
    "ListRetirableGrants": list_retirable_grants,
    "RetireGrant": retire_grant,
    "RevokeGrant": revoke_grant,
}
