"""Alias operations."""

from __future__ import annotations

from typing import Any

from strongroom.domain.context import RequestContext
from strongroom.protocols.aws import shapes
from strongroom.protocols.aws.key_ids import key_ref, optional_key_ref
from strongroom.service.core import Core


def create_alias(core: Core, ctx: RequestContext, p: dict[str, Any]) -> None:
    core.aliases.create_alias(ctx, p["AliasName"], key_ref(p["TargetKeyId"], alias=False))


def update_alias(core: Core, ctx: RequestContext, p: dict[str, Any]) -> None:
    core.aliases.update_alias(ctx, p["AliasName"], key_ref(p["TargetKeyId"], alias=False))


def delete_alias(core: Core, ctx: RequestContext, p: dict[str, Any]) -> None:
    core.aliases.delete_alias(ctx, p["AliasName"])


def list_aliases(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    found = core.aliases.list_aliases(ctx, optional_key_ref(p.get("KeyId"), alias=False), p.get("Limit"),
                                      p.get("Marker"))
    return shapes.page("Aliases", [shapes.alias_entry(a) for a in found.items], found.next_marker)


HANDLERS = {
    "CreateAlias": create_alias,
    "UpdateAlias": update_alias,
    "DeleteAlias": delete_alias,
    "ListAliases": list_aliases,
}
