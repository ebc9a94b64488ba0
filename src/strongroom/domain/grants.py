"""Grants: per-key permissions given to a principal, optionally bound to an encryption context."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from strongroom.errors import InvalidRequestError

MAX_GRANTS_PER_KEY = 50_000
MAX_CONSTRAINT_PAIRS = 8

# Constraints apply to the operations that take an encryption context.
CONTEXT_OPERATIONS = frozenset({
    "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo",
    "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
})


def _folded(context: Mapping[str, str]) -> dict[str, str]:
    """In grant constraints, context keys compare case-insensitively and values case-sensitively."""
    return {k.lower(): v for k, v in context.items()}


@dataclass(frozen=True, slots=True)
class Grant:
    grant_id: str
    key_id: str
    name: str | None
    grantee_principal: str
    retiring_principal: str | None
    issuing_account: str
    operations: tuple[str, ...]
    context_equals: dict[str, str] | None
    context_subset: dict[str, str] | None
    created_at: float

    def permits(self, operation: str, principal_arn: str, context: Mapping[str, str] | None) -> bool:
        if principal_arn != self.grantee_principal or operation not in self.operations:
            return False
        if operation not in CONTEXT_OPERATIONS:
            return True
        given = _folded(context or {})
        if self.context_equals is not None and given != _folded(self.context_equals):
            return False
        if self.context_subset is not None:
            required = _folded(self.context_subset)
            if any(given.get(k) != v for k, v in required.items()):
                return False
        return True

    def allows_subgrant(self, operations: list[str], context_equals: Mapping[str, str] | None,
                        context_subset: Mapping[str, str] | None) -> bool:
        """Whether this grant, if it gives CreateGrant, lets its grantee create a grant with these terms (as AWS
        limits such grants): no operation this grant lacks, and an encryption context constraint at least as
        strict as this grant's own."""
        if not set(operations) <= set(self.operations):
            return False
        if self.context_equals is not None:
            return context_equals is not None and _folded(context_equals) == _folded(self.context_equals)
        if self.context_subset is not None:
            narrower = context_equals if context_equals is not None else context_subset
            return narrower is not None and _folded(self.context_subset).items() <= _folded(narrower).items()
        return True

    def may_retire(self, principal_arn: str) -> bool:
        return principal_arn == self.retiring_principal or (
            principal_arn == self.grantee_principal and "RetireGrant" in self.operations)

    def same_request(self, other: Grant) -> bool:
        """Whether a CreateGrant with the same Name asks for exactly this grant (then it is idempotent)."""
        return (self.grantee_principal, self.retiring_principal, set(self.operations), self.context_equals,
                self.context_subset) == (other.grantee_principal, other.retiring_principal, set(other.operations),
                                         other.context_equals, other.context_subset)


def check_grant_request(operations: list[str], allowed: frozenset[str], context_equals: Mapping[str, str] | None,
                        context_subset: Mapping[str, str] | None, *, symmetric: bool) -> None:
    """``allowed``: the grant operations of the key's spec and usage (``key_specs.grant_operations``)."""
    unknown = set(operations) - allowed
    if not operations or unknown:
        raise InvalidRequestError(f"Grant operations {sorted(unknown)} are not valid for this key's spec and "
                                  "usage.")
    if not symmetric and (context_equals is not None or context_subset is not None):
        raise InvalidRequestError("Encryption context grant constraints apply only to symmetric encryption keys.")
    if context_equals is not None and context_subset is not None:
        raise InvalidRequestError("Specify EncryptionContextEquals or EncryptionContextSubset, not both.")
    constraint = context_equals if context_equals is not None else context_subset
    if constraint is not None:
        if len(constraint) > MAX_CONSTRAINT_PAIRS or any(len(v) > 384 for v in constraint.values()):
            raise InvalidRequestError(f"Grant constraints allow at most {MAX_CONSTRAINT_PAIRS} pairs of at "
                                      "most 384 characters each.")
