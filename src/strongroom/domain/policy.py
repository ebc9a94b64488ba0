"""Key policy documents. Stored with each key now; evaluated by the authorization engine later."""

from __future__ import annotations

import json

from strongroom.errors import MalformedPolicyError

MAX_POLICY_BYTES = 32_768
DEFAULT_POLICY_NAME = "default"


def default_key_policy(account_id: str) -> str:
    """AWS's default key policy: the account root may do everything, delegating to identity policies."""
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


def check_policy_document(text: str) -> None:
    """The structural checks that need no evaluation engine: size, JSON object, statements present."""
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        raise MalformedPolicyError(f"The key policy exceeds the maximum size of {MAX_POLICY_BYTES} bytes.")
    try:
        document = json.loads(text)
    except ValueError:
        raise MalformedPolicyError("The new key policy is not valid JSON.") from None
    if not isinstance(document, dict):
        raise MalformedPolicyError("The new key policy must be a JSON object.")
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise MalformedPolicyError("The new key policy must contain at least one Statement.")
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
            raise MalformedPolicyError("Each policy statement needs an Effect of Allow or Deny.")
