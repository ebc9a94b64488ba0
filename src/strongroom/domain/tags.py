"""Resource tags, with AWS's rules for KMS keys."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from strongroom.errors import TagError

MAX_TAGS_PER_KEY = 50
RESERVED_PREFIX = "aws:"


def merged_tags(current: Mapping[str, str], new: Iterable[tuple[str, str]]) -> dict[str, str]:
    tags = dict(current)
    for key, value in new:
        if key.lower().startswith(RESERVED_PREFIX):
            raise TagError(f"Tag keys beginning with '{RESERVED_PREFIX}' are reserved: {key}")
        tags[key] = value
    if len(tags) > MAX_TAGS_PER_KEY:
        raise TagError(f"A KMS key can have at most {MAX_TAGS_PER_KEY} tags.")
    return tags
