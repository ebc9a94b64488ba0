"""The policy evaluator on its own: operators, condition keys, precedence, delegation, malformed documents."""

import json

import pytest

from strongroom.domain.policy import Effect, RequestFacts, evaluate, parse_policy
from strongroom.errors import LimitExceededError, MalformedPolicyError

ACCOUNT = "111122223333"
OTHER = "444455556666"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def policy(*statements, key_policy=True):
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}), key_policy=key_policy)


def allow(principal=None, action="kms:*", resource="*", condition=None, effect="Allow", **extra):
    statement = {k: v for k, v in {"Effect": effect, "Action": action, "Resource": resource, **extra}.items()
                 if v is not None}
    if principal is not None:
        statement["Principal"] = principal
    if condition is not None:
        statement["Condition"] = condition
    return statement


def facts(**values):
    context = values.pop("context", {})
    tags = values.pop("tags", {})
    return RequestFacts({k.lower(): v for k, v in values.items()}, context, tags)


def run(document, action="kms:Encrypt", who=ALICE, account=ACCOUNT, request=None):
    return evaluate(document, action, KEY, request or facts(), principal_arn=who, account_id=account)


# --- principals and delegation -------------------------------------------------------------------

def test_account_root_principal_delegates_for_users_and_allows_the_root():
    document = policy(allow({"AWS": ROOT}))
    assert run(document, who=ALICE) is Effect.ALLOW_ACCOUNT
    assert run(document, who=ROOT) is Effect.ALLOW
    assert run(document, who=f"arn:aws:iam::{OTHER}:user/bob", account=OTHER) is Effect.NONE


def test_bare_account_id_means_the_account_root():
    assert run(policy(allow({"AWS": ACCOUNT}))) is Effect.ALLOW_ACCOUNT


def test_exact_user_and_star():
    assert run(policy(allow({"AWS": ALICE}))) is Effect.ALLOW
    assert run(policy(allow({"AWS": [f"arn:aws:iam::{ACCOUNT}:user/bob"]}))) is Effect.NONE
    assert run(policy(allow("*")), who="arn:aws:iam::999999999999:user/x", account="999999999999") is Effect.ALLOW


def test_not_principal():
    document = policy(allow(effect="Deny", NotPrincipal={"AWS": ALICE}), allow({"AWS": ROOT}))
    assert run(document, who=ALICE) is Effect.ALLOW_ACCOUNT
    assert run(document, who=f"arn:aws:iam::{ACCOUNT}:user/bob") is Effect.DENY


# --- actions and resources -----------------------------------------------------------------------

def test_action_wildcards_are_case_insensitive():
    document = policy(allow({"AWS": ALICE}, action=["kms:Generate*", "KMS:decrypt"]))
    assert run(document, action="kms:GenerateDataKey") is Effect.ALLOW
    assert run(document, action="kms:Decrypt") is Effect.ALLOW
    assert run(document, action="kms:Encrypt") is Effect.NONE


def test_not_action_and_not_resource():
    document = policy(allow({"AWS": ALICE}, NotAction="kms:ScheduleKeyDeletion", action=None))
    assert run(document, action="kms:Encrypt") is Effect.ALLOW
    assert run(document, action="kms:ScheduleKeyDeletion") is Effect.NONE
    scoped = policy(allow({"AWS": ALICE}, resource=None, NotResource=f"arn:aws:kms:*:{ACCOUNT}:key/1234*"))
    assert run(scoped) is Effect.NONE


def test_explicit_deny_wins_over_allow():
    document = policy(allow({"AWS": ALICE}), allow({"AWS": ALICE}, action="kms:Decrypt", effect="Deny"))
    assert run(document, action="kms:Encrypt") is Effect.ALLOW
    assert run(document, action="kms:Decrypt") is Effect.DENY


# --- conditions ----------------------------------------------------------------------------------

@pytest.mark.parametrize("operator, expected, actual, result", [
    ("StringEquals", "prod", "prod", True),
    ("StringEquals", "prod", "Prod", False),
    ("StringEqualsIgnoreCase", "prod", "PROD", True),
    ("StringNotEquals", "prod", "dev", True),
    ("StringNotEqualsIgnoreCase", "prod", "PROD", False),
    ("StringLike", "team-*", "team-a", True),
    ("StringLike", "team-?", "team-ab", False),
    ("StringNotLike", "team-*", "other", True),
    ("NumericEquals", "5", "5.0", True),
    ("NumericNotEquals", "5", "6", True),
    ("NumericLessThan", "10", "9", True),
    ("NumericLessThanEquals", "10", "10", True),
    ("NumericGreaterThan", "10", "10", False),
    ("NumericGreaterThanEquals", "10", "11", True),
    ("DateLessThan", "2030-01-01T00:00:00Z", "2026-11-24T00:00:00Z", True),
    ("DateGreaterThan", "2030-01-01T00:00:00Z", "2026-11-24T00:00:00Z", False),
    ("DateEquals", "1795487304", "2026-11-24T02:28:24Z", True),
    ("DateNotEquals", "1795487304", "2026-11-24T02:28:25Z", True),
    ("DateLessThanEquals", "2026-11-24T00:00:00Z", "2026-11-24T00:00:00Z", True),
    ("DateGreaterThanEquals", "2026-11-24T00:00:00Z", "2026-11-23T00:00:00Z", False),
    ("Bool", "true", True, True),
    ("Bool", "false", True, False),
    ("IpAddress", "10.0.0.0/8", "10.1.2.3", True),
    ("NotIpAddress", "10.0.0.0/8", "127.0.0.1", True),
    ("ArnLike", "arn:aws:iam::*:user/a*", ALICE, True),
    ("ArnNotLike", "arn:aws:iam::*:user/b*", ALICE, True),
    ("ArnEquals", ROOT, ALICE, False),
])
def test_operators(operator, expected, actual, result):
    document = policy(allow({"AWS": ALICE}, condition={operator: {"test:key": expected}}))
    assert (run(document, request=facts(**{"test:key": actual})) is Effect.ALLOW) is result


def test_missing_keys_positive_false_negated_true_if_exists_true():
    assert run(policy(allow({"AWS": ALICE}, condition={"StringEquals": {"test:key": "x"}}))) is Effect.NONE
    assert run(policy(allow({"AWS": ALICE}, condition={"StringNotEquals": {"test:key": "x"}}))) is Effect.ALLOW
    assert run(policy(allow({"AWS": ALICE}, condition={"StringEqualsIfExists": {"test:key": "x"}}))) is Effect.ALLOW
    present = facts(**{"test:key": "y"})
    assert run(policy(allow({"AWS": ALICE}, condition={"StringEqualsIfExists": {"test:key": "x"}})),
               request=present) is Effect.NONE


def test_null_operator():
    absent = policy(allow({"AWS": ALICE}, condition={"Null": {"kms:EncryptionContextKeys": "true"}}))
    assert run(absent) is Effect.ALLOW
    assert run(absent, request=facts(**{"kms:EncryptionContextKeys": ["a"]})) is Effect.NONE


def test_several_values_any_and_several_conditions_all():
    document = policy(allow({"AWS": ALICE}, condition={
        "StringEquals": {"test:a": ["x", "y"]}, "Bool": {"aws:SecureTransport": "true"}}))
    assert run(document, request=facts(**{"test:a": "y", "aws:SecureTransport": True})) is Effect.ALLOW
    assert run(document, request=facts(**{"test:a": "y", "aws:SecureTransport": False})) is Effect.NONE


def test_for_any_value_and_for_all_values_on_multivalued_keys():
    any_of = policy(allow({"AWS": ALICE}, condition={"ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": "a"}}))
    all_of = policy(allow({"AWS": ALICE}, condition={"ForAllValues:StringEquals": {"kms:EncryptionContextKeys":
                                                                                  ["a", "b"]}}))
    assert run(any_of, request=facts(**{"kms:EncryptionContextKeys": ["a", "z"]})) is Effect.ALLOW
    assert run(any_of) is Effect.NONE
    assert run(all_of, request=facts(**{"kms:EncryptionContextKeys": ["a", "b"]})) is Effect.ALLOW
    assert run(all_of, request=facts(**{"kms:EncryptionContextKeys": ["a", "z"]})) is Effect.NONE
    assert run(all_of) is Effect.ALLOW  # ForAllValues on a missing key is true, as AWS documents


def test_encryption_context_key_is_case_sensitive_condition_name_is_not():
    document = policy(allow({"AWS": ALICE}, condition={"StringEquals": {"KMS:EncryptionContext:Dept": "ops"}}))
    assert run(document, request=facts(context={"Dept": "ops"})) is Effect.ALLOW
    assert run(document, request=facts(context={"dept": "ops"})) is Effect.NONE


def test_policy_variables_are_substituted_per_request():
    alice = facts(**{"aws:username": "alice"}, context={"owner": "alice"})
    own = policy(allow({"AWS": ALICE}, condition={"StringEquals": {"kms:EncryptionContext:owner": "${aws:username}"}}))
    assert run(own, request=alice) is Effect.ALLOW
    assert run(own, request=facts(**{"aws:username": "alice"}, context={"owner": "bob"})) is Effect.NONE
    assert run(own, request=facts(context={"owner": "${aws:username}"})) is Effect.NONE  # no user name: no match
    negated = policy(allow({"AWS": ALICE}, condition={"StringNotEquals": {"kms:EncryptionContext:owner":
                                                                          "${aws:username}"}}))
    assert run(negated, request=alice) is Effect.NONE
    folded = policy(allow({"AWS": ALICE}, condition={"StringEqualsIgnoreCase": {"test:key": "Team-${aws:username}"}}))
    assert run(folded, request=facts(**{"aws:username": "Alice", "test:key": "team-alice"})) is Effect.ALLOW


def test_policy_variable_defaults_literal_characters_and_patterns():
    defaulted = policy(allow({"AWS": ALICE}, condition={"StringEquals": {"test:key": "${test:absent, 'none'}"}}))
    assert run(defaulted, request=facts(**{"test:key": "none"})) is Effect.ALLOW
    assert run(defaulted, request=facts(**{"test:key": "x", "test:absent": "x"})) is Effect.ALLOW
    like = policy(allow({"AWS": ALICE}, condition={"StringLike": {"test:key": "${aws:username}/*"}}))
    assert run(like, request=facts(**{"aws:username": "alice", "test:key": "alice/docs"})) is Effect.ALLOW
    assert run(like, request=facts(**{"aws:username": "al?ce", "test:key": "alice/docs"})) is Effect.NONE  # literal
    star = policy(allow({"AWS": ALICE}, condition={"StringLike": {"test:key": "a${*}b"}}))
    assert run(star, request=facts(**{"test:key": "a*b"})) is Effect.ALLOW
    assert run(star, request=facts(**{"test:key": "axxb"})) is Effect.NONE


def test_policy_variables_are_plain_text_in_2008_documents():
    old = parse_policy(json.dumps({"Version": "2008-10-17", "Statement": [
        allow({"AWS": ALICE}, condition={"StringEquals": {"test:key": "${aws:username}"}})]}))
    assert run(old, request=facts(**{"aws:username": "alice", "test:key": "alice"})) is Effect.NONE
    assert run(old, request=facts(**{"test:key": "${aws:username}"})) is Effect.ALLOW


def test_resource_tags_and_lazy_values():
    calls = []
    lazy = facts(**{"kms:ResourceAliases": lambda: calls.append(1) or ["alias/a"]}, tags={"env": "prod"})
    document = policy(allow({"AWS": ALICE}, condition={"StringEquals": {"aws:ResourceTag/env": "prod"},
                                                       "ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/*"}}))
    assert run(document, request=lazy) is Effect.ALLOW
    assert run(document, request=lazy) is Effect.ALLOW and calls == [1]  # computed once per request


def test_identity_policies_have_no_principal():
    document = policy(allow(action="kms:Encrypt"), key_policy=False)
    assert run(document) is Effect.ALLOW
    with pytest.raises(MalformedPolicyError, match="Principal"):
        policy(allow({"AWS": ALICE}), key_policy=False)


# --- malformed documents -------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("not json", "not valid JSON"),
    ("[]", "JSON object"),
    ('{"Statement": []}', "at least one Statement"),
    ('{"Version": "2020-01-01", "Statement": {"Effect": "Allow"}}', "Version"),
    ('{"Statment": []}', "unknown top-level"),
    ('{"Statement": {"Effect": "Maybe", "Principal": "*", "Action": "kms:*", "Resource": "*"}}', "Effect"),
    ('{"Statement": {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}}', "Principal"),
    ('{"Statement": {"Effect": "Allow", "Principal": {"AWS": "bob"}, "Action": "kms:*", "Resource": "*"}}',
     "invalid principals"),
    ('{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "Encrypt", "Resource": "*"}}', "invalid action"),
    ('{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "kms:*"}}', "Resource"),
    ('{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*", '
     '"Condition": {"StringSorta": {"a": "b"}}}}', "unsupported condition operator"),
    ('{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*", '
     '"Condition": {"NumericEquals": {"a": "ten"}}}}', "wrong type"),
    ('{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Action2": 1, "Resource": "*"}}',
     "unknown fields"),
])
def test_malformed_documents_say_why(text, message):
    with pytest.raises(MalformedPolicyError, match=message):
        parse_policy(text)


def test_size_limit():
    big = json.dumps({"Statement": [allow("*", Sid="x" * 40_000)]})
    with pytest.raises(LimitExceededError, match="32768"):
        parse_policy(big)


def test_remembered_verdicts_of_a_condition_free_document_stay_per_caller_action_and_resource():
    document = policy(allow(principal={"AWS": ALICE}, action="kms:Encrypt", resource=KEY))
    assert document.verdicts is not None
    document.verdicts.clear()  # documents are shared per text: start from none remembered
    for _ in range(2):  # the second round answers from the remembered verdicts
        assert run(document) is Effect.ALLOW
        assert run(document, who=f"arn:aws:iam::{ACCOUNT}:user/bob") is Effect.NONE
        assert run(document, action="kms:Decrypt") is Effect.NONE
        assert evaluate(document, "kms:Encrypt", KEY + "0", facts(), principal_arn=ALICE,
                        account_id=ACCOUNT) is Effect.NONE
    assert len(document.verdicts) == 4


def test_a_document_with_conditions_is_evaluated_per_request():
    document = policy(allow(principal={"AWS": ALICE}, condition={"Bool": {"aws:SecureTransport": "true"}}))
    assert document.verdicts is None
    assert run(document, request=facts(**{"aws:securetransport": True})) is Effect.ALLOW
    assert run(document, request=facts(**{"aws:securetransport": False})) is Effect.NONE
