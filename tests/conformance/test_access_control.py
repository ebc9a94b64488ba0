"""Access control end to end: users in two accounts, managed with the CLI while the server runs, calling
through boto3."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
from botocore.exceptions import ClientError
from kms_harness import TEST_ACCOUNT_ID, clean_env

OTHER_ACCOUNT = "444455556666"


def cli(server, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "strongroom", *args, "--data-dir", str(server.data_dir)],
                          capture_output=True, text=True, timeout=60, env=clean_env())
    assert done.returncode == 0, done.stderr
    return done.stdout


def new_user(server, account: str, policy: dict | None = None):
    """A fresh user with its own access key (and identity policy), and a boto3 client for it."""
    name = f"u{uuid.uuid4().hex[:10]}"
    cli(server, "users", "create", "--account", account, "--user", name)
    if policy is not None:
        cli(server, "users", "put-policy", "--account", account, "--user", name, "--policy-name", "p",
            "--policy-document", json.dumps({"Version": "2012-10-17", "Statement": policy}))
    fields = dict(line.split(" = ") for line in cli(server, "credentials", "create", "--account", account,
                                                      "--user", name).strip().splitlines())
    client = server.client(aws_access_key_id=fields["aws_access_key_id"],
                           aws_secret_access_key=fields["aws_secret_access_key"])
    return f"arn:aws:iam::{account}:user/{name}", client


def denied(call, *args, **kwargs) -> str:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    assert info.value.response["Error"]["Code"] == "AccessDeniedException", info.value.response
    return info.value.response["Error"]["Message"]


def test_allowed_to_encrypt_but_not_to_decrypt(server, kms) -> None:
    key = kms.create_key()["KeyMetadata"]
    arn, alice = new_user(server, TEST_ACCOUNT_ID, [{"Effect": "Allow", "Action": "kms:Encrypt",
                                                     "Resource": key["Arn"]}])
    blob = alice.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    message = denied(alice.decrypt, CiphertextBlob=blob)
    assert message == (f"User: {arn} is not authorized to perform: kms:Decrypt on resource: {key['Arn']} "
                       "because no identity-based policy allows the kms:Decrypt action")
    assert "kms:Decrypt" in server.log_text()  # every denial is logged
    denied(alice.create_key)


def test_deny_on_an_encryption_context_condition(server, kms) -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{TEST_ACCOUNT_ID}:root"}, "Action": "kms:*",
         "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*",
         "Condition": {"StringNotEquals": {"kms:EncryptionContext:app": "billing"}}}]}
    key_id = kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]["KeyId"]
    kms.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"app": "billing"})
    assert "explicit deny in a resource-based policy" in denied(
        kms.encrypt, KeyId=key_id, Plaintext=b"x", EncryptionContext={"app": "other"})
    assert json.loads(kms.get_key_policy(KeyId=key_id)["Policy"]) == policy


def test_each_user_may_encrypt_only_under_its_own_name(server, kms) -> None:
    """One identity policy for every user, bound to each by ``${aws:username}`` in the encryption context."""
    key = kms.create_key()["KeyMetadata"]
    own_context = [{"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": key["Arn"],
                    "Condition": {"StringEquals": {"kms:EncryptionContext:owner": "${aws:username}"}}}]
    alice_arn, alice = new_user(server, TEST_ACCOUNT_ID, own_context)
    _, bob = new_user(server, TEST_ACCOUNT_ID, own_context)
    alice_name = alice_arn.rsplit("/", 1)[1]
    blob = alice.encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"owner": alice_name})["CiphertextBlob"]
    assert alice.decrypt(CiphertextBlob=blob, EncryptionContext={"owner": alice_name})["Plaintext"] == b"x"
    denied(bob.decrypt, CiphertextBlob=blob, EncryptionContext={"owner": alice_name})
    denied(bob.encrypt, KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"owner": alice_name})
    denied(alice.encrypt, KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"owner": "${aws:username}"})


def test_cross_account_decrypt(server, kms) -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{TEST_ACCOUNT_ID}:root"}, "Action": "kms:*",
         "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
         "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}]}
    key = kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"across")["CiphertextBlob"]
    _, bob = new_user(server, OTHER_ACCOUNT, [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key["Arn"]}])
    _, carol = new_user(server, OTHER_ACCOUNT)
    assert bob.decrypt(CiphertextBlob=blob)["Plaintext"] == b"across"
    assert bob.decrypt(CiphertextBlob=blob, KeyId=key["Arn"])["KeyId"] == key["Arn"]
    denied(carol.decrypt, CiphertextBlob=blob)  # the key policy trusts the account, carol's IAM does not
    denied(bob.encrypt, KeyId=key["Arn"], Plaintext=b"x")
    with pytest.raises(ClientError) as info:  # another account's key only by ARN
        bob.describe_key(KeyId=key["KeyId"])
    assert info.value.response["Error"]["Code"] == "NotFoundException"


def test_grant_with_constraints_used_with_its_token_then_retired_and_revoked(server, kms) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    arn, grantee = new_user(server, TEST_ACCOUNT_ID)
    denied(grantee.encrypt, KeyId=key_id, Plaintext=b"x")
    created = kms.create_grant(KeyId=key_id, GranteePrincipal=arn, Operations=["Encrypt", "Decrypt"],
                               RetiringPrincipal=f"arn:aws:iam::{TEST_ACCOUNT_ID}:root",
                               Constraints={"EncryptionContextEquals": {"Tenant": "a"}})
    token = created["GrantToken"]
    blob = grantee.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"tenant": "a"},
                           GrantTokens=[token])["CiphertextBlob"]
    denied(grantee.encrypt, KeyId=key_id, Plaintext=b"x", EncryptionContext={"tenant": "a", "more": "1"})
    with pytest.raises(ClientError) as info:
        grantee.encrypt(KeyId=key_id, Plaintext=b"x", GrantTokens=["not-a-token"])
    assert info.value.response["Error"]["Code"] == "InvalidGrantTokenException"

    listed = kms.list_grants(KeyId=key_id)["Grants"]
    assert [(g["GrantId"], g["GranteePrincipal"], g["Constraints"]) for g in listed] == [
        (created["GrantId"], arn, {"EncryptionContextEquals": {"Tenant": "a"}})]
    retirable = kms.list_retirable_grants(RetiringPrincipal=f"arn:aws:iam::{TEST_ACCOUNT_ID}:root")["Grants"]
    assert created["GrantId"] in [g["GrantId"] for g in retirable]

    kms.retire_grant(GrantToken=token)
    denied(grantee.decrypt, CiphertextBlob=blob, EncryptionContext={"tenant": "a"})

    second = kms.create_grant(KeyId=key_id, GranteePrincipal=arn, Operations=["Decrypt"])
    assert grantee.decrypt(CiphertextBlob=blob, EncryptionContext={"tenant": "a"})["Plaintext"] == b"x"
    kms.revoke_grant(KeyId=key_id, GrantId=second["GrantId"])
    denied(grantee.decrypt, CiphertextBlob=blob, EncryptionContext={"tenant": "a"})
    with pytest.raises(ClientError) as info:
        kms.revoke_grant(KeyId=key_id, GrantId=second["GrantId"])
    assert info.value.response["Error"]["Code"] == "InvalidGrantIdException"


def test_a_grantee_passes_on_only_what_its_grant_gives(server, kms) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    alice_arn, alice = new_user(server, TEST_ACCOUNT_ID)
    bob_arn, bob = new_user(server, TEST_ACCOUNT_ID)
    kms.create_grant(KeyId=key_id, GranteePrincipal=alice_arn, Operations=["Encrypt", "CreateGrant"],
                     Constraints={"EncryptionContextSubset": {"app": "billing"}})
    message = denied(alice.create_grant, KeyId=key_id, GranteePrincipal=bob_arn, Operations=["Decrypt"])
    assert "kms:CreateGrant" in message
    denied(alice.create_grant, KeyId=key_id, GranteePrincipal=bob_arn, Operations=["Encrypt"])  # unconstrained
    alice.create_grant(KeyId=key_id, GranteePrincipal=bob_arn, Operations=["Encrypt"],
                       Constraints={"EncryptionContextEquals": {"app": "billing"}})
    bob.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"app": "billing"})
    denied(bob.encrypt, KeyId=key_id, Plaintext=b"x", EncryptionContext={"app": "billing", "more": "1"})


def test_dry_run_checks_permission_without_acting(server, kms) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as info:
        kms.create_grant(KeyId=key_id, GranteePrincipal=f"arn:aws:iam::{TEST_ACCOUNT_ID}:root",
                         Operations=["Encrypt"], DryRun=True)
    assert info.value.response["Error"]["Code"] == "DryRunOperationException"
    assert kms.list_grants(KeyId=key_id)["Grants"] == []
    _, nobody = new_user(server, TEST_ACCOUNT_ID)
    denied(nobody.encrypt, KeyId=key_id, Plaintext=b"x", DryRun=True)


def test_a_policy_that_would_lock_the_caller_out_is_refused(server, kms) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    lockout = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}, "Action": "kms:*",
         "Resource": "*"}]})
    with pytest.raises(ClientError) as info:
        kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=lockout)
    assert info.value.response["Error"]["Code"] == "MalformedPolicyDocumentException"
    assert "will not allow you to update the key policy" in info.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as info:
        kms.create_key(Policy='{"Statement": "nope"}')
    assert info.value.response["Error"]["Code"] == "MalformedPolicyDocumentException"
    kms.encrypt(KeyId=key_id, Plaintext=b"still usable")


def test_temporary_credentials_with_a_session_token(server, kms) -> None:
    fields = dict(line.split(" = ") for line in cli(server, "credentials", "create", "--account", TEST_ACCOUNT_ID,
                                                      "--session-duration", "900").strip().splitlines())
    session = server.client(aws_access_key_id=fields["aws_access_key_id"],
                            aws_secret_access_key=fields["aws_secret_access_key"],
                            aws_session_token=fields["aws_session_token"])
    assert fields["aws_access_key_id"].startswith("ASIA")
    session.list_keys()
    forged = server.client(aws_access_key_id=fields["aws_access_key_id"],
                           aws_secret_access_key=fields["aws_secret_access_key"],
                           aws_session_token=fields["aws_session_token"][:-4] + "AAAA")
    with pytest.raises(ClientError) as info:
        forged.list_keys()
    assert info.value.response["Error"]["Code"] == "UnrecognizedClientException"
