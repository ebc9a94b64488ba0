"""Key lifecycle and key policy operations."""

from __future__ import annotations

from typing import Any

from strongroom.domain.context import RequestContext
from strongroom.errors import NotFoundError
from strongroom.protocols.aws import shapes
from strongroom.protocols.aws.key_ids import key_ref
from strongroom.service.core import Core


def _tags(params: dict[str, Any]) -> list[tuple[str, str]]:
    return [(t["TagKey"], t["TagValue"]) for t in params.get("Tags") or ()]


def create_key(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    key = core.keys.create_key(
        ctx, description=p.get("Description", ""), key_usage=p.get("KeyUsage"),
        key_spec=p.get("KeySpec") or p.get("CustomerMasterKeySpec"), origin=p.get("Origin"),
        policy=p.get("Policy"), tags=_tags(p), multi_region=bool(p.get("MultiRegion")),
        bypass_policy_lockout_check=bool(p.get("BypassPolicyLockoutSafetyCheck")))
    return {"KeyMetadata": shapes.key_metadata(key, core.keys.current_material(key))}


def describe_key(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    key = core.keys.describe_key(ctx, key_ref(p["KeyId"]))
    return {"KeyMetadata": shapes.key_metadata(key, core.keys.current_material(key))}


def list_keys(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    found = core.keys.list_keys(ctx, p.get("Limit"), p.get("Marker"))
    entries = [{"KeyId": k.key_id, "KeyArn": k.arn} for k in found.items]
    return shapes.page("Keys", entries, found.next_marker)


def enable_key(core: Core, ctx: RequestContext, p: dict[str, Any]) -> None:
    core.keys.enable_key(ctx, key_ref(p["KeyId"], alias=False))


def disable_key(core: Core, ctx: RequestContext, p: dict[str, Any]) -> None:
    core.keys.disable_key(ctx, key_ref(p["KeyId"], alias=False))


def schedule_key_deletion(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    key = core.keys.schedule_key_deletion(ctx, key_ref(p["KeyId"], alias=False), p.get("PendingWindowInDays"))
    return {"KeyId": key.arn, "DeletionDate": key.deletion_date, "KeyState": key.state.value,
            "PendingWindowInDays": key.pending_window_days}


def cancel_key_deletion(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"KeyId": core.keys.cancel_key_deletion(ctx, key_ref(p["KeyId"], alias=False)).arn}


def update_key_description(core: Core, ctx: RequestContext, p: dict[str, Any]) -> None:
    core.keys.update_key_description(ctx, key_ref(p["KeyId"], alias=False), p["Description"])


def get_key_policy(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    name = p.get("PolicyName") or "default"
    return {"Policy": core.keys.get_key_policy(ctx, key_ref(p["KeyId"], alias=False), name), "PolicyName": name}


def put_key_policy(core: Core, ctx: RequestContext, p: dict[str, Any]) -> None:
    core.keys.put_key_policy(ctx, key_ref(p["KeyId"], alias=False), p.get("PolicyName"), p["Policy"],
                             bypass_policy_lockout_check=bool(p.get("BypassPolicyLockoutSafetyCheck")))


def list_key_policies(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    return shapes.page("PolicyNames", core.keys.list_key_policies(ctx, key_ref(p["KeyId"], alias=False)), None)


HANDLERS = {
    "CreateKey": create_key,
    "DescribeKey": describe_key,
    "ListKeys": list_keys,
    "EnableKey": enable_key,
    "DisableKey": disable_key,
    "ScheduleKeyDeletion": schedule_key_deletion,
    "CancelKeyDeletion": cancel_key_deletion,
    "UpdateKeyDescription": update_key_description,
    "GetKeyPolicy": get_key_policy,
    "ListKeyPolicies": list_key_policies,
    "PutKeyPolicy": put_key_policy,
}


def get_key_last_usage(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    ref = key_ref(p["KeyId"])
    if ref.alias is not None:
        raise NotFoundError("GetKeyLastUsage does not accept an alias; use the key id or key ARN.")
    usage = core.keys.last_usage(ctx, ref)
    out: dict[str, Any] = {"KeyId": usage.key.arn, "KeyCreationDate": usage.key.created_at,
                           "TrackingStartDate": usage.tracking_start}
    if usage.last is not None:
        out["KeyLastUsage"] = {"Operation": usage.last.event_name, "Timestamp": usage.last.event_time,
                               "CloudTrailEventId": usage.last.event_id,
                               "KmsRequestId": usage.last.record.get("requestID")}
    return out


HANDLERS["GetKeyLastUsage"] = get_key_last_usage
