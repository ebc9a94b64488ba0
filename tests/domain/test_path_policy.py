"""Vault ACL policies: parsing (HCL and JSON), merging across policies, Vault's priority order, parameters."""

import json

import pytest

from strongroom.domain.path_policy import (
    ROOT_PATH_POLICY,
    ROOT_POLICY,
    Acl,
    Capability,
    PathPolicy,
    PathRule,
    is_root,
    parse_path_policy,
)
from strongroom.errors import MalformedPolicyError

C = Capability

TRANSIT_HCL = """
# the example from the Vault docs, more or less
path "transit/encrypt/orders" { capabilities = ["update"] }
path "transit/keys/*"        { capabilities = ["create", "read", "update", "delete", "list"] }
path "transit/+/orders"      { capabilities = ["read"] }
path "secret/private"        { capabilities = ["deny"] }
"""

TRANSIT_JSON = json.dumps({
    "path": {
        "transit/encrypt/orders": {"capabilities": ["update"]},
        "transit/keys/*": {"capabilities": ["create", "read", "update", "delete", "list"]},
        "transit/+/orders": {"capabilities": ["read"]},
        "secret/private": {"capabilities": ["deny"]},
    }
})


def acl(*documents: str) -> Acl:
    return Acl(parse_path_policy(f"p{i}", text) for i, text in enumerate(documents))


def hcl_rules(*rules: tuple[str, list[str]]) -> str:
    return "\n".join(f'path "{pattern}" {{ capabilities = {json.dumps(caps)} }}' for pattern, caps in rules)


# --- parsing ------------------------------------------------------------------------------------------------------


def test_hcl_policy_parses_into_rules_in_document_order():
    policy = parse_path_policy("transit", TRANSIT_HCL)
    assert policy.name == "transit"
    assert [(r.pattern, r.capabilities) for r in policy.rules] == [
        ("transit/encrypt/orders", frozenset({C.UPDATE})),
        ("transit/keys/*", frozenset({C.CREATE, C.READ, C.UPDATE, C.DELETE, C.LIST})),
        ("transit/+/orders", frozenset({C.READ})),
        ("secret/private", frozenset({C.DENY})),
    ]


def test_json_policy_parses_to_the_same_rules_as_hcl():
    assert parse_path_policy("transit", TRANSIT_JSON) == parse_path_policy("transit", TRANSIT_HCL)


def test_json_path_may_be_a_list_of_objects():
    text = '{"path": [{"a/*": {"capabilities": ["read"]}}, {"b": {"capabilities": ["list"]}}]}'
    policy = parse_path_policy("p", text)
    assert [(r.pattern, r.capabilities) for r in policy.rules] == [("a/*", {C.READ}), ("b", {C.LIST})]


def test_hcl_object_assignment_form_is_accepted():
    policy = parse_path_policy("p", 'path = { "a/b" = { capabilities = ["read"] } }\nname = "ignored"')
    assert policy.rules == (PathRule("a/b", frozenset({C.READ})),)


def test_leading_slash_of_a_pattern_is_dropped():
    policy = parse_path_policy("p", hcl_rules(("/secret/a", ["read"])))
    assert policy.rules[0].pattern == "secret/a"
    assert acl(hcl_rules(("/secret/a", ["read"]))).allows("secret/a", C.READ)


def test_deny_keeps_only_deny():
    policy = parse_path_policy("p", hcl_rules(("a", ["read", "deny", "update"])))
    assert policy.rules[0].capabilities == {C.DENY}


@pytest.mark.parametrize("legacy, expected", [
    ("read", {C.READ, C.LIST}),
    ("write", {C.CREATE, C.READ, C.UPDATE, C.DELETE, C.LIST}),
    ("sudo", {C.CREATE, C.READ, C.UPDATE, C.DELETE, C.LIST, C.SUDO}),
    ("deny", {C.DENY}),
])
def test_legacy_policy_key_maps_to_capabilities(legacy, expected):
    policy = parse_path_policy("p", f'path "a" {{ policy = "{legacy}" }}')
    assert policy.rules[0].capabilities == expected


def test_parameters_and_wrapping_ttls_are_parsed_and_kept():
    policy = parse_path_policy("p", """
    path "transit/encrypt/*" {
      capabilities = ["update"]
      allowed_parameters = { "Plaintext" = [], "context" = ["tenant-*"], "version" = [7, 8] }
      denied_parameters { "key_version" = [1] }
      required_parameters = ["Plaintext"]
      min_wrapping_ttl = "1m"
      max_wrapping_ttl = "1h30m"
    }
    """)
    rule = policy.rules[0]
    assert dict(rule.allowed_parameters) == {"plaintext": (), "context": ("tenant-*",), "version": (7, 8)}
    assert dict(rule.denied_parameters) == {"key_version": (1,)}
    assert rule.required_parameters == ("plaintext",)
    assert (rule.min_wrapping_ttl, rule.max_wrapping_ttl) == (60.0, 5400.0)


def test_json_parameter_values_may_mix_types():
    text = '{"path": {"a": {"capabilities": ["update"], "allowed_parameters": {"x": ["s", 7, true, null, [1]]}}}}'
    rule = parse_path_policy("p", text).rules[0]
    assert rule.allowed_parameters["x"] == ("s", 7, True, None, (1,))
    a = Acl([parse_path_policy("p", text)])
    assert a.allows("a", C.UPDATE, {"x": 7}) and a.allows("a", C.UPDATE, {"x": None})
    assert a.allows("a", C.UPDATE, {"x": True}) and not a.allows("a", C.UPDATE, {"x": 1})


@pytest.mark.parametrize("value, seconds", [(90, 90.0), ("90", 90.0), ("2d", 172800.0), ("1.5s", 1.5), ("", None)])
def test_wrapping_ttl_accepts_seconds_and_go_durations(value, seconds):
    policy = parse_path_policy("p", json.dumps({"path": {"a": {"capabilities": ["read"], "max_wrapping_ttl": value}}}))
    assert policy.rules[0].max_wrapping_ttl == seconds


def test_repeated_path_blocks_in_one_policy_are_all_kept_so_a_deny_is_not_lost():
    # pyhcl's own loader would keep only the last block, turning this into a plain "read".
    text = hcl_rules(("secret/*", ["deny"]), ("secret/*", ["read"]))
    assert [r.capabilities for r in parse_path_policy("p", text).rules] == [{C.DENY}, {C.READ}]
    assert acl(text).capabilities("secret/x") == {C.DENY}


def test_repeated_path_keys_in_json_are_all_kept():
    text = '{"path": {"a": {"capabilities": ["read"]}, "a": {"capabilities": ["list"]}}}'
    assert acl(text).capabilities("a") == {C.READ, C.LIST}


def test_policy_without_paths_grants_nothing():
    policy = parse_path_policy("empty", '# nothing here\nname = "empty"')
    assert policy.rules == ()
    assert Acl([policy]).capabilities("anything") == frozenset()


# --- refusals -----------------------------------------------------------------------------------------------------


def test_unknown_capability_is_refused_by_name():
    with pytest.raises(MalformedPolicyError, match='invalid capability "encrypt"') as info:
        parse_path_policy("p", hcl_rules(("transit/*", ["read", "encrypt"])))
    assert 'path "transit/*"' in info.value.message
    assert info.value.message.startswith("failed to parse policy: ")


@pytest.mark.parametrize("text", [
    'path "a" { capabilities = ["read" }',
    'path "a" {',
    "}}}",
    'path "a" { capabilities = ["read"] } garbage',
    "x = ${a}",
])
def test_malformed_hcl_is_refused(text):
    with pytest.raises(MalformedPolicyError, match="not valid HCL"):
        parse_path_policy("p", text)


@pytest.mark.parametrize("text", ['{"path": {', '{"path": NaN}', "{'path': {}}"])
def test_malformed_json_is_refused(text):
    with pytest.raises(MalformedPolicyError, match="not valid JSON"):
        parse_path_policy("p", text)


def test_the_parser_still_works_after_a_syntax_error():
    with pytest.raises(MalformedPolicyError):
        parse_path_policy("p", 'path "a" {')
    assert parse_path_policy("p", hcl_rules(("a", ["read"]))).rules[0].capabilities == {C.READ}


@pytest.mark.parametrize("text", [
    'path "a" { }',
    'path "a" { capabilities = [] }',
    'path "a" { comment = "no capabilities" }',
    '{"path": {"a": {}}}',
])
def test_path_without_capabilities_is_refused(text):
    with pytest.raises(MalformedPolicyError, match='path "a" has no capabilities'):
        parse_path_policy("p", text)


@pytest.mark.parametrize("text, message", [
    ('path "a" { capabilities = "read" }', "capabilities must be a list of strings"),
    ('{"path": {"a": {"capabilities": [1]}}}', "capabilities must be a list of strings"),
    ('{"path": "a"}', '"path" must be an object'),
    ('{"path": {"a": ["read"]}}', 'path "a" must be an object'),
    ('{"path": {"a": {"capabilities": ["read"], "allowed_parameters": {"x": "y"}}}}', "must be a list of values"),
    ('{"path": {"a": {"capabilities": ["read"], "allowed_parameters": ["x"]}}}', "must be an object"),
    ('{"path": {"a": {"capabilities": ["read"], "required_parameters": "x"}}}', "must be a list of strings"),
    ('{"path": {"a": {"capabilities": ["read"], "min_wrapping_ttl": true}}}', "min_wrapping_ttl must be"),
    ('{"path": {"a": {"capabilities": ["read"], "min_wrapping_ttl": "soon"}}}', '"soon" is not a duration'),
    ('{"path": {"a": {"capabilities": ["read"], "max_wrapping_ttl": -5}}}', "non-negative"),
    ('{"path": {"a": {"capabilities": ["read"], "min_wrapping_ttl": 60, "max_wrapping_ttl": 30}}}',
     "max_wrapping_ttl cannot be less than min_wrapping_ttl"),
    ('{"path": {"a": {"capabilities": ["read"], "policy": "admin"}}}', "invalid policy"),
    ('{"name": 3}', '"name" must be a string'),
    ("[1, 2]", "not valid HCL"),
    ('{"paths": {}}', 'unknown top-level key "paths"'),
    ('path "a" { capabilities = ["read"], capability = ["list"] }', 'unknown key "capability"'),
    ('path "a" { capabilities = ["read"], capabilities = ["list"] }', 'has "capabilities" more than once'),
    ('path "a" "b" { capabilities = ["read"] }', 'unknown key "b"'),
    ('path "a" { capabilities = ["read"], control_group = { ttl = "1h" } }', '"control_group" is not supported'),
    ('path "a" { capabilities = ["read"], mfa_methods = ["totp"] }', '"mfa_methods" is not supported'),
    ('path "a/+*" { capabilities = ["read"] }', "'\\+\\*' is forbidden"),
    ('path "secret/{{identity.entity.id}}/*" { capabilities = ["read"] }', "templated policy paths"),
    ('path "a" { capabilities = ["read"], allowed_parameters = { "x*" = [] } }', 'only wildcard parameter name'),
    ('path "a" { capabilities = ["read"], allowed_parameters = { "/a/b" = [] } }', "JSON-pointer"),
    ('path "a" { capabilities = ["read"], required_parameters = ["*"] }', "only wildcard parameter name"),
    ('path "a" { capabilities = ["read"], denied_parameters = { "X" = [], "x" = [1] } }', "more than once"),
])
def test_bad_shapes_and_types_are_refused_with_a_clear_message(text, message):
    with pytest.raises(MalformedPolicyError, match=message):
        parse_path_policy("p", text)


@pytest.mark.parametrize("name", ["root", "Root", " ROOT "])
def test_root_is_a_reserved_policy_name(name):
    with pytest.raises(MalformedPolicyError, match="reserved"):
        parse_path_policy(name, hcl_rules(("a", ["read"])))


@pytest.mark.parametrize("name, text", [("", 'path "a" { capabilities = ["read"] }'), ("p", ""), ("p", "  \n")])
def test_empty_name_or_document_is_refused(name, text):
    with pytest.raises(MalformedPolicyError):
        parse_path_policy(name, text)


# --- matching and priority ----------------------------------------------------------------------------------------


def test_the_transit_example():
    for text in (TRANSIT_HCL, TRANSIT_JSON):
        a = acl(text)
        assert a.capabilities("transit/encrypt/orders") == {C.UPDATE}
        assert a.allows("transit/encrypt/orders", C.UPDATE)
        assert not a.allows("transit/encrypt/orders", C.READ)
        assert a.capabilities("transit/decrypt/orders") == {C.READ}
        assert a.capabilities("secret/private") == {C.DENY}
        assert not a.allows("secret/private", C.READ)
        assert a.capabilities("secret/other") == frozenset()
        assert not a.allows("secret/other", C.READ)


def test_exact_match_beats_glob_and_segment_wildcard():
    a = acl(hcl_rules(("kv/*", ["read"]), ("kv/+", ["list"]), ("kv/app", ["update"])))
    assert a.capabilities("kv/app") == {C.UPDATE}
    assert a.capabilities("kv/other") == {C.LIST}


def test_exact_pattern_does_not_match_longer_paths():
    a = acl(hcl_rules(("kv/app", ["read"])))
    assert not a.allows("kv/app/x", C.READ)
    assert not a.allows("kv/ap", C.READ)


def test_longest_glob_wins():
    a = acl(hcl_rules(("kv/*", ["read"]), ("kv/team/*", ["update"]), ("kv/te*", ["list"])))
    assert a.capabilities("kv/team/x") == {C.UPDATE}
    assert a.capabilities("kv/tea") == {C.LIST}
    assert a.capabilities("kv/other") == {C.READ}
    assert a.capabilities("kv") == frozenset()  # "kv/*" needs the slash


def test_glob_alone_matches_everything():
    a = acl(hcl_rules(("*", ["read"])))
    assert a.allows("", C.READ)
    assert a.allows("any/path/at/all", C.READ)


def test_star_that_is_not_last_is_literal():
    a = acl(hcl_rules(("kv/*/x", ["read"])))
    assert a.allows("kv/*/x", C.READ)
    assert not a.allows("kv/a/x", C.READ)


def test_plus_matches_exactly_one_segment():
    a = acl(hcl_rules(("transit/+/orders", ["read"])))
    assert a.allows("transit/decrypt/orders", C.READ)
    assert a.allows("transit//orders", C.READ)
    assert not a.allows("transit/orders", C.READ)
    assert not a.allows("transit/a/b/orders", C.READ)
    assert not a.allows("transit/decrypt/orders/x", C.READ)


def test_plus_combined_with_a_trailing_glob():
    a = acl(hcl_rules(("secret/+/app*", ["read"]), ("+", ["list"])))
    assert a.allows("secret/team/app", C.READ)
    assert a.allows("secret/team/apple", C.READ)
    assert a.allows("secret/team/app/config/x", C.READ)
    assert not a.allows("secret/team/ap", C.READ)
    assert not a.allows("secret/app", C.READ)
    assert a.capabilities("single") == {C.LIST}
    assert a.capabilities("two/segments") == frozenset()


# (winner, loser, path): the examples in the priority comment of Vault's acl.go, one per rule.
PRIORITY_CASES = [
    ("foo/a*", "foo/+", "foo/ab"),  # the first wildcard comes later
    ("foo/bar/+/baz", "foo/+/bar/baz", "foo/bar/bar/baz"),  # the first wildcard comes later
    ("transit/keys/*", "transit/+/orders", "transit/keys/orders"),  # a glob can beat a "+" for the same reason
    ("foo/+/bar", "foo/+/ba*", "foo/x/bar"),  # not ending in "*"
    ("foo/+", "foo/*", "foo/x"),  # not ending in "*"
    ("foo/+/bar/baz", "foo/+/+/baz", "foo/x/bar/baz"),  # fewer "+" segments
    ("foo/+/bar/ba*", "foo/+/bar/b*", "foo/x/bar/baz"),  # longer
]


@pytest.mark.parametrize("winner, loser, path", PRIORITY_CASES)
@pytest.mark.parametrize("winner_first", [True, False])
def test_vault_priority_order_among_wildcards(winner, loser, path, winner_first):
    rules = [(winner, ["read"]), (loser, ["update"])]
    a = acl(hcl_rules(*(rules if winner_first else rules[::-1])))
    assert a.capabilities(path) == {C.READ}
    assert a.rule_for(path).pattern == winner
    # and the loser still applies where the winner does not match
    assert Acl([PathPolicy("l", (PathRule(loser, frozenset({C.UPDATE})),))]).capabilities(path) == {C.UPDATE}


def test_priority_holds_across_policies():
    a = acl(hcl_rules(("foo/*", ["read"])), hcl_rules(("foo/+", ["update"])))
    assert a.capabilities("foo/x") == {C.UPDATE}


def test_deny_on_a_less_specific_rule_does_not_refuse_a_more_specific_grant():
    a = acl(hcl_rules(("secret/*", ["deny"]), ("secret/public", ["read"])))
    assert a.allows("secret/public", C.READ)
    assert not a.allows("secret/other", C.READ)


def test_request_path_leading_slashes_are_ignored():
    a = acl(hcl_rules(("kv/app", ["read"])))
    assert a.allows("/kv/app", C.READ)


# --- merging across policies --------------------------------------------------------------------------------------


def test_capabilities_are_the_union_across_policies():
    a = acl(hcl_rules(("kv/*", ["read"])), hcl_rules(("kv/*", ["update", "list"])), hcl_rules(("kv/a", ["delete"])))
    assert a.capabilities("kv/x") == {C.READ, C.UPDATE, C.LIST}
    assert a.capabilities("kv/a") == {C.DELETE}  # a different pattern is not merged


@pytest.mark.parametrize("deny_first", [True, False])
def test_deny_wins_when_merged_across_two_policies(deny_first):
    allow = hcl_rules(("secret/*", ["create", "read", "update", "list", "sudo"]))
    deny = hcl_rules(("secret/*", ["deny"]))
    a = acl(*((deny, allow) if deny_first else (allow, deny)))
    assert a.capabilities("secret/x") == {C.DENY}
    assert a.rule_for("secret/x").capabilities == {C.DENY}  # nothing else survives the merge
    for capability in (C.CREATE, C.READ, C.UPDATE, C.LIST, C.SUDO):
        assert not a.allows("secret/x", capability)


def test_deny_for_a_segment_wildcard_pattern_merges_too():
    a = acl(hcl_rules(("kv/+/x", ["read"])), hcl_rules(("kv/+/x", ["deny"])))
    assert a.capabilities("kv/a/x") == {C.DENY}


def test_default_policy_is_ordinary():
    default = parse_path_policy("default", hcl_rules(("auth/token/lookup-self", ["read"])))
    a = Acl([default])
    assert not a.root
    assert a.allows("auth/token/lookup-self", C.READ)
    assert not a.allows("transit/keys/x", C.READ)


def test_root_grants_everything():
    assert is_root(["default", ROOT_POLICY])
    assert not is_root(["default", "admins"])
    a = Acl([ROOT_PATH_POLICY])
    assert a.root
    assert a.allows("sys/anything", C.SUDO)
    assert a.allows("secret/private", C.DELETE, {"any": "thing"})
    assert a.capabilities("x") == set(Capability) - {C.DENY}


def test_root_wins_even_over_a_deny_in_another_policy():
    a = Acl([ROOT_PATH_POLICY, parse_path_policy("p", hcl_rules(("secret/*", ["deny"])))])
    assert a.allows("secret/x", C.READ)


def test_asking_for_deny_is_an_error():
    with pytest.raises(ValueError):
        acl(hcl_rules(("a", ["read"]))).allows("a", C.DENY)


# --- list and trailing slashes ------------------------------------------------------------------------------------


def test_list_falls_back_to_the_path_without_its_trailing_slash():
    a = acl(hcl_rules(("secret/app", ["list", "read"]), ("kv/+/team", ["list"])))
    assert a.allows("secret/app/", C.LIST)
    assert not a.allows("secret/app/", C.READ)  # only list gets the fallback
    assert a.allows("kv/a/team/", C.LIST)
    assert not a.allows("kv/a/team/x", C.LIST)


def test_list_through_a_glob():
    a = acl(hcl_rules(("secret/*", ["list"])))
    assert a.allows("secret/", C.LIST)
    assert not a.allows("secret", C.LIST)


# --- parameters ---------------------------------------------------------------------------------------------------

PARAMETERS_HCL = """
path "transit/encrypt/*" {
  capabilities = ["create", "update", "list", "delete"]
  allowed_parameters = {
    "plaintext" = []
    "context" = ["tenant-*", "*-shared", "*mid*", "exact"]
    "key_version" = [1, 2]
  }
  denied_parameters = {
    "context" = ["tenant-evil"]
  }
}
"""


@pytest.mark.parametrize("parameters, allowed", [
    (None, True),
    ({}, True),
    ({"plaintext": "anything"}, True),
    ({"PlainText": "anything"}, True),  # names are compared lower-cased
    ({"context": "tenant-a"}, True),
    ({"context": "team-shared"}, True),
    ({"context": "exact"}, True),
    ({"context": "in-the-middle-x"}, True),
    ({"context": "mi-d"}, False),
    ({"context": "exactly"}, False),
    ({"context": "tenant-evil"}, False),  # denied beats allowed
    ({"context": "tenant-a,tenant-evil"}, False),  # a comma list is denied when any item is
    ({"context": "tenant-a, tenant-b"}, True),  # and allowed when every item is
    ({"context": ["tenant-a", "other"]}, False),
    ({"context": ["tenant-a", "x-shared"]}, True),
    ({"key_version": 2}, True),
    ({"key_version": 3}, False),
    ({"key_version": True}, False),
    ({"key_version": "1"}, False),
    ({"plaintext": "x", "batch_input": []}, False),  # a parameter not in the allowed list
])
def test_allowed_and_denied_parameters(parameters, allowed):
    a = acl(PARAMETERS_HCL)
    assert a.allows("transit/encrypt/orders", C.UPDATE, parameters) is allowed


def test_parameters_are_not_checked_for_list_and_delete():
    a = acl(PARAMETERS_HCL)
    assert a.allows("transit/encrypt/orders", C.LIST, {"context": "tenant-evil"})
    assert a.allows("transit/encrypt/orders", C.DELETE, {"bogus": 1})
    assert not a.allows("transit/encrypt/orders", C.CREATE, {"bogus": 1})


def test_denied_star_refuses_any_parameter_but_not_an_empty_request():
    a = acl('path "a" { capabilities = ["update"], denied_parameters = { "*" = [] } }')
    assert a.allows("a", C.UPDATE)
    assert not a.allows("a", C.UPDATE, {"x": 1})


def test_allowed_star_allows_other_names_while_listed_names_keep_their_values():
    a = acl('path "a" { capabilities = ["update"], allowed_parameters = { "*" = [], "mode" = ["safe"] } }')
    assert a.allows("a", C.UPDATE, {"anything": 1, "mode": "safe"})
    assert not a.allows("a", C.UPDATE, {"anything": 1, "mode": "fast"})


def test_required_parameters():
    a = acl('path "a" { capabilities = ["update", "list"], required_parameters = ["Context"] }')
    assert not a.allows("a", C.UPDATE)
    assert not a.allows("a", C.UPDATE, {"other": 1})
    assert a.allows("a", C.UPDATE, {"context": "x"})
    assert a.allows("a", C.LIST)  # not checked for list


def test_allowed_parameters_merge_across_policies():
    one = 'path "a" { capabilities = ["update"], allowed_parameters = { "x" = ["1"] } }'
    two = 'path "a" { capabilities = ["update"], allowed_parameters = { "x" = ["2"], "y" = [] } }'
    a = acl(one, two)
    assert a.allows("a", C.UPDATE, {"x": "1", "y": "z"})
    assert a.allows("a", C.UPDATE, {"x": "2"})
    assert not a.allows("a", C.UPDATE, {"x": "3"})
    assert not a.allows("a", C.UPDATE, {"z": "1"})


@pytest.mark.parametrize("empty_first", [True, False])
def test_an_empty_value_list_wins_when_merging_allowed_parameters(empty_first):
    restricted = 'path "a" { capabilities = ["update"], allowed_parameters = { "x" = ["1"] } }'
    anything = 'path "a" { capabilities = ["update"], allowed_parameters = { "x" = [] } }'
    a = acl(*((anything, restricted) if empty_first else (restricted, anything)))
    assert a.rule_for("a").allowed_parameters["x"] == ()
    assert a.allows("a", C.UPDATE, {"x": "anything"})


def test_deny_merge_drops_parameters():
    a = acl('path "a" { capabilities = ["update"], allowed_parameters = { "x" = [] } }', hcl_rules(("a", ["deny"])))
    rule = a.rule_for("a")
    assert rule.capabilities == {C.DENY}
    assert rule.allowed_parameters is None


# --- response wrapping --------------------------------------------------------------------------------------------


def test_wrapping_ttl_bounds():
    a = acl('path "a" { capabilities = ["read", "sudo"], min_wrapping_ttl = "1m", max_wrapping_ttl = "1h" }')
    assert not a.allows("a", C.READ)  # must be wrapped
    assert not a.allows("a", C.READ, wrap_ttl=30)
    assert a.allows("a", C.READ, wrap_ttl=60)
    assert a.allows("a", C.READ, wrap_ttl=3600)
    assert not a.allows("a", C.READ, wrap_ttl=3601)
    assert a.allows("a", C.SUDO)  # sudo is only the capability itself


def test_wrapping_ttls_merge_to_the_smaller_bounds():
    a = acl('path "a" { capabilities = ["read"], max_wrapping_ttl = 600 }',
            'path "a" { capabilities = ["read"], max_wrapping_ttl = 60 }')
    assert a.rule_for("a").max_wrapping_ttl == 60
    assert not a.allows("a", C.READ, wrap_ttl=120)


def test_merged_wrapping_bounds_that_cross_allow_nothing():
    a = acl('path "a" { capabilities = ["read"], min_wrapping_ttl = 600 }',
            'path "a" { capabilities = ["read"], max_wrapping_ttl = 60 }')
    for ttl in (None, 30, 60, 300, 600, 900):
        assert not a.allows("a", C.READ, wrap_ttl=ttl)
