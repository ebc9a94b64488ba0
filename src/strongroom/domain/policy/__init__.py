"""The IAM policy language as AWS KMS uses it: parse once into compiled statements, evaluate many times."""

from strongroom.domain.policy.defaults import (
    DEFAULT_POLICY_NAME,
    MAX_POLICY_BYTES,
    default_key_policy,
)
from strongroom.domain.policy.document import PolicyDocument, Statement, parse_policy
from strongroom.domain.policy.evaluate import Effect, RequestFacts, evaluate

__all__ = [
    "DEFAULT_POLICY_NAME",
    "MAX_POLICY_BYTES",
    "Effect",
    "PolicyDocument",
    "RequestFacts",
    "Statement",
    "default_key_policy",
    "evaluate",
    "parse_policy",
]
