"""Tag operations."""

from __future__ import annotations

from typing import Any

from strongroom.domain.context import RequestContext
from strongroom.protocols.aws import shapes
from strongroom.service.core import Core


def tag_resource(core: Core, ctx: RequestContext, p: dict[str, Any]) -> None:
    core.keys.tag_resource(ctx, p["KeyId"], [(t["TagKey"], t["TagValue"]) for t in p["Tags"]])


def untag_resource(core: Core, ctx: RequestContext, p: dict[str, Any]) -> None:
    core.keys.untag_resource(ctx, p["KeyId"], p["TagKeys"])


def list_resource_tags(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    found = core.keys.list_resource_tags(ctx, p["KeyId"], p.get("Limit"), p.get("Marker"))
    return shapes.page("Tags", shapes.tag_list(list(found.items)), found.next_marker)


HANDLERS = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListResourceTags": list_resource_tags,
}
