"""The administration API (``StrongroomAdmin.*``), SigV4-signed like the KMS API."""

from __future__ import annotations

import json

from kms_harness import TEST_ACCOUNT_ID, assert_json_error, signed_call


def admin(server, operation: str, payload: dict | None = None, *, creds: dict | None = None):
    keys = {}
    if creds is not None:
        keys = {"access_key_id": creds["AccessKeyId"], "secret_access_key": creds["SecretAccessKey"]}
    return signed_call(server, f"StrongroomAdmin.{operation}", payload or {}, **keys)


def ok(response):
    assert response.status == 200, response.body
    return response.json()


def test_operator_provisions_an_account_whose_user_then_uses_kms(server) -> None:
    account = ok(admin(server, "CreateAccount"))["AccountId"]
    assert account in ok(admin(server, "ListAccounts"))["Accounts"]
    arn = ok(admin(server, "CreateUser", {"AccountId": account, "UserName": "app"}))["Arn"]
    assert arn == f"arn:aws:iam::{account}:user/app"
    ok(admin(server, "PutUserPolicy", {"AccountId": account, "UserName": "app", "PolicyName": "kms",
                                       "PolicyDocument": json.dumps({"Statement": [
                                           {"Effect": "Allow", "Action": ["kms:CreateKey", "kms:Encrypt"],
                                            "Resource": "*"}]})}))
    creds = ok(admin(server, "CreateAccessKey", {"AccountId": account, "UserName": "app"}))
    client = server.client(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"])
    key = client.create_key()["KeyMetadata"]
    assert key["AWSAccountId"] == account
    client.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert [k["AccessKeyId"] for k in ok(admin(server, "ListAccessKeys", {"AccountId": account}))["AccessKeys"]] \
        == [creds["AccessKeyId"]]
    ok(admin(server, "DeleteAccessKey", {"AccessKeyId": creds["AccessKeyId"]}))
    assert ok(admin(server, "ListAccessKeys", {"AccountId": account}))["AccessKeys"] == []


def test_an_account_root_manages_only_its_own_account(server) -> None:
    account = ok(admin(server, "CreateAccount"))["AccountId"]
    root = ok(admin(server, "CreateAccessKey", {"AccountId": account}))
    ok(admin(server, "CreateUser", {"UserName": "mine"}, creds=root))
    assert [u["UserName"] for u in ok(admin(server, "ListUsers", {}, creds=root))["Users"]] == ["mine"]
    assert ok(admin(server, "ListAccounts", creds=root))["Accounts"] == [account]
    assert_json_error(admin(server, "CreateAccount", creds=root), "AccessDeniedException")
    assert_json_error(admin(server, "ListUsers", {"AccountId": TEST_ACCOUNT_ID}, creds=root), "AccessDeniedException")


def test_users_administer_only_what_their_policies_allow(server) -> None:
    ok(admin(server, "CreateUser", {"UserName": "helpdesk"}))
    ok(admin(server, "CreateUser", {"UserName": "plain"}))
    ok(admin(server, "PutUserPolicy", {"UserName": "helpdesk", "PolicyName": "users", "PolicyDocument": json.dumps(
        {"Statement": [{"Effect": "Allow", "Action": "strongroom:*User*", "Resource": "*"}]})}))
    helpdesk = ok(admin(server, "CreateAccessKey", {"UserName": "helpdesk"}))
    plain = ok(admin(server, "CreateAccessKey", {"UserName": "plain"}))
    ok(admin(server, "CreateUser", {"UserName": "made-by-helpdesk"}, creds=helpdesk))
    assert_json_error(admin(server, "CreateAccessKey", {"UserName": "plain"}, creds=helpdesk),
                      "AccessDeniedException")
    assert_json_error(admin(server, "CreateUser", {"UserName": "nope"}, creds=plain), "AccessDeniedException")
    policies = ok(admin(server, "ListUserPolicies", {"UserName": "helpdesk"}))["Policies"]
    assert list(policies) == ["users"]
    ok(admin(server, "DeleteUser", {"UserName": "plain"}))
    assert_json_error(admin(server, "ListUsers", creds=plain), "UnrecognizedClientException")  # keys went too


def test_bad_admin_requests(server) -> None:
    assert_json_error(admin(server, "Nope"), "UnknownOperationException")
    assert_json_error(admin(server, "CreateUser", {}), "ValidationException")
    assert_json_error(admin(server, "CreateUser", {"UserName": "has space"}), "ValidationException")
    assert_json_error(admin(server, "PutUserPolicy", {"UserName": "ghost", "PolicyName": "p",
                                                      "PolicyDocument": "{}"}), "MalformedPolicyDocumentException")
    assert_json_error(admin(server, "CreateAccessKey", {"UserName": "ghost"}), "NotFoundException")
