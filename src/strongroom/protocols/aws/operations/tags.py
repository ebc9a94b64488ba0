"""Tag operations."""

from __future__ import annotations

from typing import Any

from strongroom.domain.context import RequestContext
from strongroom.protocols.aws import shapes
from strongroom.protocols.aws.key_ids import key_ref
from strongroom.service.core import Core


def tag_resource(core: Core, ctx: RequestContext, p: dict[str, Any]) -> None:
    core.keys.tag_resource(ctx, key_ref(p["KeyId"], alias=False), [(t["TagKey"], t["TagValue"]) for t in p["Tags"]])


def untag_resource(core: Core, ctx: RequestContext, p: dict[str, Any]) -> None:
    core.keys.untag_resource(ctx, key_ref(p["KeyId"], alias=False), p["TagKeys"])


def list_resource_tags(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    found = core.keys.list_resource_tags(ctx, key_ref(p["KeyId"], alias=False), p.get("Limit"), p.get("Marker"))
    return shapes.page("Tags", shapes.tag_list(list(found.items)), found.next_marker)


HANDLERS = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListResourceTags": list_resource_tags,
}
