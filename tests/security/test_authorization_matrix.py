"""Who may use a key, over a matrix of 288 cases: six key policies × four identity policies × three grants × a
caller of the key's account or of another × with and without the encryption context a condition asks for. The
expected outcome of each case comes from AWS's documented evaluation order (``expected`` below, written from the
AWS KMS Developer Guide's "Determining access" and "Allowing users in other accounts"), not from the server:

1. an explicit Deny in the key policy or in the caller's identity policies refuses;
2. a key policy statement naming the caller allows, and across accounts the caller's identity policy must allow too;
3. a key policy statement naming the caller's account root delegates to that account's identity policies;
4. otherwise a grant to the caller for the operation, its encryption-context constraint met, allows.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import pytest

from strongroom.domain.context import Caller, RequestContext
from strongroom.errors import AccessDeniedError
from strongroom.protocols.aws.key_ids import key_ref
from tests.conftest import open_core

OWNER, OTHER = "111122223333", "444455556666"
REGION = "us-east-1"
ALICE = f"arn:aws:iam::{OWNER}:user/alice"
BOB = f"arn:aws:iam::{OTHER}:user/bob"
ACME = {"tenant": "acme"}

KEY_POLICIES = ["owner-root", "owner-root+allow-caller", "owner-root+deny-caller", "only-allow-caller",
                "owner-root+other-root", "owner-root+allow-caller-if-acme"]
IDENTITY_POLICIES = ["none", "allow-encrypt", "deny-encrypt", "allow-another-key"]
GRANTS = ["none", "encrypt", "encrypt-if-acme"]
CALLERS = ["alice (same account)", "bob (other account)"]
CONTEXTS = ["acme", "none"]
CASES = list(itertools.product(KEY_POLICIES, IDENTITY_POLICIES, GRANTS, CALLERS, CONTEXTS))


def expected(key_policy: str, identity: str, grant: str, caller: str, context: str) -> bool:
    same_account = caller.startswith("alice")
    if key_policy == "owner-root+deny-caller" or identity == "deny-encrypt":
        return False
    names_caller = key_policy in ("owner-root+allow-caller", "only-allow-caller") or (
        key_policy == "owner-root+allow-caller-if-acme" and context == "acme")
    roots = set() if key_policy == "only-allow-caller" else {OWNER}  # who the policy lets decide kms:Encrypt
    if key_policy == "owner-root+other-root":
        roots.add(OTHER)
    identity_allows = identity == "allow-encrypt"
    caller_account = OWNER if same_account else OTHER
    if names_caller and (same_account or identity_allows):
        return True
    if caller_account in roots and identity_allows:
        return True
    return grant == "encrypt" or (grant == "encrypt-if-acme" and context == "acme")


def _statement(effect: str, principal: str, actions: list[str], condition: dict | None = None) -> dict:
    statement = {"Effect": effect, "Principal": {"AWS": principal}, "Action": actions, "Resource": "*"}
    return statement | ({"Condition": condition} if condition else {})


def _key_policy(variant: str, caller_arn: str) -> str:
    owner_root = _statement("Allow", f"arn:aws:iam::{OWNER}:root", ["kms:*"])
    extra = {
        "owner-root": [],
        "owner-root+allow-caller": [_statement("Allow", caller_arn, ["kms:Encrypt"])],
        "owner-root+deny-caller": [_statement("Deny", caller_arn, ["kms:Encrypt"])],
        "only-allow-caller": [_statement("Allow", caller_arn, ["kms:Encrypt"])],
        "owner-root+other-root": [_statement("Allow", f"arn:aws:iam::{OTHER}:root", ["kms:Encrypt"])],
        "owner-root+allow-caller-if-acme": [_statement("Allow", caller_arn, ["kms:Encrypt"],
                                                       {"StringEquals": {"kms:EncryptionContext:tenant": "acme"}})],
    }[variant]
    if variant == "only-allow-caller":  # the owner keeps only what setting up a grant needs
        owner_root = _statement("Allow", f"arn:aws:iam::{OWNER}:root", ["kms:CreateGrant"])
    statements = [owner_root, *extra]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _identity_policy(variant: str, other_key_arn: str) -> str | None:
    if variant == "none":
        return None
    effect = "Deny" if variant == "deny-encrypt" else "Allow"
    resource = other_key_arn if variant == "allow-another-key" else "*"
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": effect, "Action": "kms:Encrypt", "Resource": resource}]})


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:  # type: ignore[type-arg]
    from strongroom.trust.key_file import create_root_key_file

    data_dir = tmp_path_factory.mktemp("authz-matrix")
    create_root_key_file(data_dir / "root.key")
    core = open_core(data_dir)
    for account, user in ((OWNER, "alice"), (OTHER, "bob")):
        core.principals.create_account(account)
        core.principals.create_user(account, user)
    owner = RequestContext(Caller(OWNER, "AKIAOWNER", f"arn:aws:iam::{OWNER}:root"), REGION)
    another = core.keys.create_key(owner, description="another key")
    yield {"core": core, "owner": owner, "another": another.arn,
           "alice": RequestContext(Caller(OWNER, "AKIAALICE", ALICE, "alice"), REGION),
           "bob": RequestContext(Caller(OTHER, "AKIABOB", BOB, "bob"), REGION)}
    core.close()


def test_the_matrix_is_large_enough() -> None:
    assert len(CASES) >= 200
    outcomes = {expected(*case) for case in CASES}
    assert outcomes == {True, False}


@pytest.mark.parametrize("case", CASES, ids=lambda case: "|".join(case))
def test_each_case_is_decided_as_aws_documents(world, case: tuple[str, str, str, str, str]) -> None:  # type: ignore[no-untyped-def,type-arg]
    key_policy, identity, grant, caller, context = case
    core, owner = world["core"], world["owner"]
    name = "alice" if caller.startswith("alice") else "bob"
    ctx, caller_arn = world[name], ALICE if name == "alice" else BOB
    account = OWNER if name == "alice" else OTHER
    key = core.keys.create_key(owner, policy=_key_policy(key_policy, caller_arn), bypass_policy_lockout_check=True)
    document = _identity_policy(identity, world["another"])
    if document is None:
        try:
            core.principals.delete_user_policy(account, name, "matrix")
        except Exception:  # noqa: BLE001 - none attached yet
            pass
    else:
        core.principals.put_user_policy(account, name, "matrix", document)
    if grant != "none":
        core.grants.create_grant(owner, key.key_id, caller_arn, ["Encrypt"],
                                 context_equals=ACME if grant == "encrypt-if-acme" else None)
    try:
        core.crypto.encrypt(ctx, key_ref(key.arn), b"matrix", ACME if context == "acme" else None)
        allowed = True
    except AccessDeniedError:
        allowed = False
    assert allowed is expected(*case)
