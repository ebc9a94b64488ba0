"""The default key policy and the size limit of key policies."""

from __future__ import annotations

import json
from functools import lru_cache

MAX_POLICY_BYTES = 32_768
DEFAULT_POLICY_NAME = "default"


@lru_cache(maxsize=1024)  # read on every first use of a key without a policy of its own
def default_key_policy(account_id: str) -> str:
    """AWS's default key policy: the account may do everything, delegating to identity policies."""
    return json.dumps({
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }],
    }, indent=2)
