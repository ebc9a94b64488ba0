"""HMAC operations: GenerateMac and VerifyMac."""

from __future__ import annotations

from typing import Any

from strongroom.domain.context import RequestContext
from strongroom.protocols.aws.key_ids import key_ref
from strongroom.service.core import Core


def generate_mac(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    key, mac = core.mac.generate_mac(ctx, key_ref(p["KeyId"]), p["Message"], p["MacAlgorithm"],
                                     check_only=bool(p.get("DryRun")))
    return {"Mac": mac, "MacAlgorithm": p["MacAlgorithm"], "KeyId": key.arn}


def verify_mac(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    key = core.mac.verify_mac(ctx, key_ref(p["KeyId"]), p["Message"], p["Mac"], p["MacAlgorithm"],
                              check_only=bool(p.get("DryRun")))
    return {"KeyId": key.arn, "MacValid": True, "MacAlgorithm": p["MacAlgorithm"]}


HANDLERS = {
    "GenerateMac": generate_mac,
    "VerifyMac": verify_mac,
}
