"""Authorization in the core: identity policies, key policies, cross-account use, grants, lockout, sessions."""

import json

import pytest

from strongroom.domain.context import Caller, RequestContext
from strongroom.errors import (
    AccessDeniedError,
    AuthenticationError,
    ExpiredCredentialsError,
    InvalidGrantError,
    MalformedPolicyError,
)
from strongroom.protocols.aws.key_ids import key_ref
from tests.conftest import ACCOUNT, REGION

OTHER = "444455556666"


def as_user(account: str, user: str) -> RequestContext:
    arn = f"arn:aws:iam::{account}:root" if user == "root" else f"arn:aws:iam::{account}:user/{user}"
    return RequestContext(Caller(account, "AKIAX", arn, user), REGION)


def identity(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture
def alice(core):
    core.principals.create_user(ACCOUNT, "alice")
    return as_user(ACCOUNT, "alice")


def test_users_need_identity_policies_under_the_default_key_policy(core, ctx, alice):
    key = core.keys.create_key(ctx)
    with pytest.raises(AccessDeniedError, match="no identity-based policy allows the kms:Encrypt action"):
        core.crypto.encrypt(alice, key.key_id, b"x")
    core.principals.put_user_policy(ACCOUNT, "alice", "enc", identity(
        {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": key.arn}))
    blob = core.crypto.encrypt(alice, key.key_id, b"x").ciphertext
    with pytest.raises(AccessDeniedError, match="kms:Decrypt"):
        core.crypto.decrypt(alice, blob)
    with pytest.raises(AccessDeniedError):
        core.keys.create_key(alice)


def test_identity_deny_beats_key_policy_allow(core, ctx, alice):
    policy = identity({"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{ACCOUNT}:root",
                                                                 f"arn:aws:iam::{ACCOUNT}:user/alice"]},
                       "Action": "kms:*", "Resource": "*"})
    key = core.keys.create_key(ctx, policy=policy)
    core.crypto.encrypt(alice, key.key_id, b"x")  # the key policy names alice: no identity policy needed
    core.principals.put_user_policy(ACCOUNT, "alice", "no", identity(
        {"Effect": "Deny", "Action": "kms:Encrypt", "Resource": "*"}))
    with pytest.raises(AccessDeniedError, match="explicit deny in an identity-based policy"):
        core.crypto.encrypt(alice, key.key_id, b"x")


def test_key_policy_condition_on_encryption_context(core, ctx):
    policy = identity(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringNotEquals": {"kms:EncryptionContext:dept": "finance"}}})
    key = core.keys.create_key(ctx, policy=policy)
    ok = core.crypto.encrypt(ctx, key.key_id, b"x", {"dept": "finance"}).ciphertext
    other = core.crypto.encrypt(ctx, key.key_id, b"x", {"dept": "ops"}).ciphertext
    assert core.crypto.decrypt(ctx, ok, {"dept": "finance"}).plaintext == b"x"
    with pytest.raises(AccessDeniedError, match="explicit deny in a resource-based policy"):
        core.crypto.decrypt(ctx, other, {"dept": "ops"})


def test_cross_account_needs_both_policies(core, ctx):
    core.principals.create_user(OTHER, "bob")
    bob = as_user(OTHER, "bob")
    policy = identity(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "kms:Decrypt",
         "Resource": "*"})
    key = core.keys.create_key(ctx, policy=policy)
    blob = core.crypto.encrypt(ctx, key.key_id, b"shared").ciphertext
    with pytest.raises(AccessDeniedError, match="identity-based"):
        core.crypto.decrypt(bob, blob)
    core.principals.put_user_policy(OTHER, "bob", "use", identity(
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key.arn}))
    assert core.crypto.decrypt(bob, blob).plaintext == b"shared"
    assert core.crypto.decrypt(as_user(OTHER, "root"), blob).plaintext == b"shared"
    with pytest.raises(AccessDeniedError):
        core.crypto.encrypt(bob, key_ref(key.arn), b"x")


def test_grants_with_constraints_retire_and_revoke(core, ctx, alice):
    key = core.keys.create_key(ctx)
    grant, token = core.grants.create_grant(ctx, key.key_id, alice.caller.principal_arn, ["Encrypt", "Decrypt"],
                                            context_subset={"Tenant": "a"})
    blob = core.crypto.encrypt(alice, key.key_id, b"x", {"tenant": "a", "extra": "1"}).ciphertext
    with pytest.raises(AccessDeniedError):
        core.crypto.encrypt(alice, key.key_id, b"x", {"tenant": "b"})
    with pytest.raises(AccessDeniedError):
        core.crypto.encrypt(alice, key.key_id, b"x")
    core.grants.check_tokens([token])
    with pytest.raises(InvalidGrantError):
        core.grants.check_tokens(["garbage"])
    with pytest.raises(AccessDeniedError):  # alice is neither retiring principal nor granted RetireGrant
        core.grants.retire_grant(alice, token=token)
    core.grants.revoke_grant(ctx, key.key_id, grant.grant_id)
    with pytest.raises(AccessDeniedError):
        core.crypto.decrypt(alice, blob, {"tenant": "a", "extra": "1"})
    again, token = core.grants.create_grant(ctx, key.key_id, alice.caller.principal_arn, ["Decrypt", "RetireGrant"])
    assert core.crypto.decrypt(alice, blob, {"tenant": "a", "extra": "1"}).plaintext == b"x"
    core.grants.retire_grant(alice, token=token)
    with pytest.raises(AccessDeniedError):
        core.crypto.decrypt(alice, blob, {"tenant": "a", "extra": "1"})


def test_named_grants_are_idempotent(core, ctx, alice):
    key = core.keys.create_key(ctx)
    first, _ = core.grants.create_grant(ctx, key.key_id, alice.caller.principal_arn, ["Encrypt"], name="app")
    second, _ = core.grants.create_grant(ctx, key.key_id, alice.caller.principal_arn, ["Encrypt"], name="app")
    assert first.grant_id == second.grant_id
    assert len(core.grants.list_grants(ctx, key.key_id).items) == 1


def test_lockout_safety_check(core, ctx):
    locked = identity({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "kms:*",
                       "Resource": "*"})
    with pytest.raises(MalformedPolicyError, match="will not allow you to update the key policy"):
        core.keys.create_key(ctx, policy=locked)
    key = core.keys.create_key(ctx)
    with pytest.raises(MalformedPolicyError):
        core.keys.put_key_policy(ctx, key.key_id, None, locked)
    core.keys.put_key_policy(ctx, key.key_id, None, locked, bypass_policy_lockout_check=True)
    with pytest.raises(AccessDeniedError):
        core.crypto.encrypt(ctx, key.key_id, b"x")


def test_temporary_credentials(core, clock, alice):
    created = core.credentials.create(ACCOUNT, user_name="alice", session_seconds=900)
    key = core.credentials.lookup(created.key.access_key_id)
    core.credentials.check_session(key, created.session_token)
    with pytest.raises(AuthenticationError):
        core.credentials.check_session(key, None)
    with pytest.raises(AuthenticationError):
        core.credentials.check_session(key, created.session_token + "x")
    clock.advance(900)
    with pytest.raises(ExpiredCredentialsError):
        core.credentials.check_session(key, created.session_token)
    long_term = core.credentials.create(ACCOUNT, user_name="alice").key
    with pytest.raises(AuthenticationError):
        core.credentials.check_session(long_term, "a-token-it-never-had")


def test_grants_follow_the_key_type(core, ctx, alice):
    from strongroom.errors import InvalidRequestError

    signing = core.keys.create_key(ctx, key_spec="ECC_NIST_P256", key_usage="SIGN_VERIFY")
    with pytest.raises(AccessDeniedError):
        core.asymmetric.sign(alice, signing.key_id, b"m", "ECDSA_SHA_256")
    with pytest.raises(InvalidRequestError):  # Encrypt is no operation of a signing key
        core.grants.create_grant(ctx, signing.key_id, alice.caller.principal_arn, ["Encrypt"])
    with pytest.raises(InvalidRequestError):  # context constraints only for symmetric keys
        core.grants.create_grant(ctx, signing.key_id, alice.caller.principal_arn, ["Sign"],
                                 context_subset={"a": "b"})
    core.grants.create_grant(ctx, signing.key_id, alice.caller.principal_arn, ["Sign"])
    _, signature = core.asymmetric.sign(alice, signing.key_id, b"m", "ECDSA_SHA_256")
    assert signature
    with pytest.raises(AccessDeniedError):
        core.asymmetric.verify(alice, signing.key_id, b"m", signature, "ECDSA_SHA_256")


def test_a_grantee_with_create_grant_can_only_pass_on_narrower_grants(core, ctx, alice):
    core.principals.create_user(ACCOUNT, "bob")
    bob = as_user(ACCOUNT, "bob").caller.principal_arn
    key = core.keys.create_key(ctx)
    core.grants.create_grant(ctx, key.key_id, alice.caller.principal_arn, ["Decrypt", "CreateGrant"],
                             context_subset={"Tenant": "a"})
    for escalation in (dict(operations=["Encrypt"]),  # an operation alice's grant lacks
                       dict(operations=["Decrypt"]),  # no constraint: looser than alice's
                       dict(operations=["Decrypt"], context_subset={"Other": "b"})):  # not alice's pairs
        with pytest.raises(AccessDeniedError):
            core.grants.create_grant(alice, key.key_id, bob, escalation["operations"],
                                     context_subset=escalation.get("context_subset"))
    narrower, _ = core.grants.create_grant(alice, key.key_id, bob, ["Decrypt"],
                                           context_subset={"tenant": "a", "Project": "x"})
    assert narrower.operations == ("Decrypt",)
    core.grants.create_grant(alice, key.key_id, bob, ["Decrypt", "CreateGrant"],
                             context_equals={"Tenant": "a"})
    # the key's account root is not limited by alice's grant
    core.grants.create_grant(ctx, key.key_id, bob, ["Encrypt"])
