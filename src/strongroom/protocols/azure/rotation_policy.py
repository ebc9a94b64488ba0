"""Key rotation policies: ``{"lifetimeActions": [{"trigger": {"timeAfterCreate"|"timeBeforeExpiry": "P90D"},
"action": {"type": "Rotate"|"Notify"}}], "attributes": {"expiryTime": "P2Y"}}``. A Rotate action after a time
since creation becomes the core's automatic rotation period; Notify and time-before-expiry are kept as given."""

from __future__ import annotations

import re
from typing import Any

import orjson

from strongroom.protocols.azure.errors import bad_parameter

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_UNITS = (365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1)
MIN_ROTATION_SECONDS = 7 * 86400  # Azure's shortest rotation period


def duration_seconds(text: Any, name: str) -> int:
    found = _DURATION.match(text) if isinstance(text, str) and text != "P" and not text.endswith("T") else None
    if found is None:
        raise bad_parameter(f"Property '{name}' must be an ISO 8601 duration (like P90D).")
    return sum(int(part) * unit for part, unit in zip(found.groups(), _UNITS, strict=True) if part)


def stored_policy(raw: str | None, body: dict[str, Any] | None = None, *, now: int = 0) -> dict[str, Any]:
    """The policy kept on the key (``raw``), or one checked from a request ``body``."""
    if body is None:
        return orjson.loads(raw) if raw else {"lifetimeActions": [], "attributes": {}}
    actions = body.get("lifetimeActions") or []
    if not isinstance(actions, list):
        raise bad_parameter("Property 'lifetimeActions' must be a list.")
    checked = []
    for action in actions:
        if not isinstance(action, dict) or not isinstance(action.get("trigger"), dict) \
                or not isinstance(action.get("action"), dict):
            raise bad_parameter("A lifetime action has a trigger and an action.")
        kind = str(action["action"].get("type", ""))
        if kind.lower() not in ("rotate", "notify"):
            raise bad_parameter(f"Invalid lifetime action type '{kind}'.")
        trigger = {k: v for k, v in action["trigger"].items() if k in ("timeAfterCreate", "timeBeforeExpiry")}
        if len(trigger) != 1:
            raise bad_parameter("A trigger has exactly one of timeAfterCreate and timeBeforeExpiry.")
        for member, value in trigger.items():
            seconds = duration_seconds(value, f"trigger.{member}")
            if member == "timeAfterCreate" and kind.lower() == "rotate" and seconds < MIN_ROTATION_SECONDS:
                raise bad_parameter("The rotation time after creation is at least 7 days (P7D).")
        checked.append({"trigger": trigger, "action": {"type": "Rotate" if kind.lower() == "rotate" else "Notify"}})
    attributes = body.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise bad_parameter("Property 'attributes' must be an object.")
    kept: dict[str, Any] = {"created": now, "updated": now}
    if attributes.get("expiryTime") is not None:
        duration_seconds(attributes["expiryTime"], "attributes.expiryTime")
        kept["expiryTime"] = attributes["expiryTime"]
    return {"lifetimeActions": checked, "attributes": kept}


def auto_rotate_seconds(policy: dict[str, Any]) -> int | None:
    for action in policy.get("lifetimeActions", []):
        after = action["trigger"].get("timeAfterCreate")
        if action["action"]["type"] == "Rotate" and after:
            return duration_seconds(after, "timeAfterCreate")
    return None


def policy_body(host: str, name: str, policy: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"https://{host}/keys/{name}/rotationpolicy", **policy}
