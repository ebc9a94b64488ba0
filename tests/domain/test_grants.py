"""Which grants a grantee holding CreateGrant may create: AWS's narrowing rules."""

import pytest

from strongroom.domain.grants import Grant

ALICE = "arn:aws:iam::111122223333:user/alice"


def grant(operations, equals=None, subset=None) -> Grant:
    return Grant("g" * 64, "key", None, ALICE, None, "111122223333", tuple(operations), equals, subset, 0.0)


@pytest.mark.parametrize("parent, asked, allowed", [
    (grant(["Decrypt", "CreateGrant"]), (["Decrypt"], None, None), True),
    (grant(["Decrypt", "CreateGrant"]), (["Decrypt", "CreateGrant"], None, {"a": "1"}), True),
    (grant(["Decrypt", "CreateGrant"]), (["Encrypt"], None, None), False),
    (grant(["CreateGrant"], subset={"Tenant": "a"}), (["CreateGrant"], None, {"tenant": "a", "b": "2"}), True),
    (grant(["CreateGrant"], subset={"Tenant": "a"}), (["CreateGrant"], {"TENANT": "a"}, None), True),
    (grant(["CreateGrant"], subset={"Tenant": "a"}), (["CreateGrant"], None, {"Tenant": "A"}), False),
    (grant(["CreateGrant"], subset={"Tenant": "a"}), (["CreateGrant"], None, None), False),
    (grant(["CreateGrant"], equals={"Tenant": "a"}), (["CreateGrant"], {"tenant": "a"}, None), True),
    (grant(["CreateGrant"], equals={"Tenant": "a"}), (["CreateGrant"], {"Tenant": "a", "b": "2"}, None), False),
    (grant(["CreateGrant"], equals={"Tenant": "a"}), (["CreateGrant"], None, {"Tenant": "a"}), False),
])
def test_subgrants_keep_to_the_parent_operations_and_are_at_least_as_constrained(parent, asked, allowed):
    operations, equals, subset = asked
    assert parent.allows_subgrant(operations, equals, subset) is allowed
