"""Strongroom's seed format: what it reads, and errors that name the file and line of each problem."""

from __future__ import annotations

import textwrap

import pytest

from strongroom.seed import SeedError, check_material_allowed, parse_seed
from strongroom.seed.model import NATIVE


def parse(text: str):  # type: ignore[no-untyped-def]
    return parse_seed(textwrap.dedent(text), "keys.yaml")


def problems(text: str) -> list[str]:
    with pytest.raises(SeedError) as caught:
        parse(text)
    return [str(p) for p in caught.value.problems]


def test_a_full_file_is_read_with_its_defaults() -> None:
    seed = parse("""\
        strongroom_seed: 1
        account: "111122223333"
        accounts:
          - id: 444455556666
            users:
              - name: ci
                policies:
                  all: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "kms:*", Resource: "*"}]}
            access_keys:
              - {id: AKIASEEDEDCI0000001, secret: seeded-secret-000000, user: ci}
        keys:
          - id: 0b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a51
            spec: SYMMETRIC_DEFAULT
            tags: {team: payments}
            aliases: [alias/orders]
            versions:
              - material: 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
              - {}
          - id: 1b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a52
            spec: RSA_2048
            state: PendingDeletion
            pending_window_days: 7
        transit:
          - {name: orders, type: aes256-gcm96, versions: 3}
        kmip:
          - {id: 4b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a55, type: secret, material_base64: cGFzc3dvcmQ=}
        """)
    assert seed.format == NATIVE and seed.account == "111122223333"
    account = seed.accounts[0]
    assert account.account_id == "444455556666"  # written as a number, read as the text it was written as
    assert account.users[0].policies["all"].startswith('{"Version":"2012-10-17"')
    assert account.access_keys[0].user == "ci"
    symmetric, rsa = seed.keys
    assert symmetric.usage == "ENCRYPT_DECRYPT" and symmetric.aliases == ("alias/orders",)
    assert symmetric.versions is not None
    assert [v.material for v in symmetric.versions] == [bytes(range(32)), None]
    assert rsa.usage == "ENCRYPT_DECRYPT" and rsa.versions is None  # the first usage of the spec
    assert rsa.state == "PendingDeletion" and rsa.pending_window_days == 7
    assert seed.transit[0].versions is not None and len(seed.transit[0].versions) == 3
    assert seed.objects[0].material == b"password"
    assert seed.material_lines() == [17, 26]


def test_material_never_shows_in_a_repr() -> None:
    seed = parse("""\
        keys:
          - id: 0b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a51
            spec: SYMMETRIC_DEFAULT
            versions: [{material: 7365637265747365637265747365637265747365637265747365637265747321}]
        accounts:
          - {id: "111122223333", access_keys: [{id: AKIASEEDEDCI0000001, secret: hush-hush-hush-hush}]}
        """)
    shown = repr(seed)
    assert "7365637265" not in shown and "secretsecret" not in shown and "hush" not in shown


def test_every_problem_is_reported_with_its_line() -> None:
    found = problems("""\
        keys:
          - id: not-a-uuid
            spec: SYMMETRIC_DEFAULT
          - id: 0b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a51
            spec: SYMETRIC_DEFAULT
          - id: 1b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a51
            spec: RSA_2048
            usage: GENERATE_VERIFY_MAC
          - id: 2b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a51
            spec: SYMMETRIC_DEFAULT
            colour: blue
          - id: 3b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a51
            spec: SYMMETRIC_DEFAULT
            versions:
              - material: zz
        transit:
          - {name: t, type: aes999}
        """)
    assert [p.split(":")[1] for p in found] == ["2", "5", "8", "11", "15", "17"]
    assert "key id 'not-a-uuid' is not a lower-case UUID" in found[0]
    assert "'spec' is 'SYMETRIC_DEFAULT', not one of SYMMETRIC_DEFAULT" in found[1]
    assert "KeyUsage GENERATE_VERIFY_MAC is not compatible with KeySpec RSA_2048" in found[2]
    assert "unknown member 'colour'" in found[3]
    assert "material must be hex digits" in found[4]
    assert "transit key t: unknown key type aes999" in found[5]


@pytest.mark.parametrize(("member", "expected"), [
    ("aliases: [orders]", "Alias orders must begin with 'alias/'"),
    ("policy: '{not json'", "'policy' is not valid JSON"),
    ("policy: {Version: '2012-10-17'}", "Statement"),
    ("tags: {'aws:owner': me}", "reserved"),
    ("rotation_period_days: 30", "'rotation_period_days' must be between 90 and 2560"),
    ("pending_window_days: 7", "applies only to a key whose state is PendingDeletion"),
    ("state: Gone", "'state' is 'Gone', not one of"),
    ("grants: [{grantee: someone, operations: [Encrypt]}]", "someone is not a valid principal ARN"),
    ("grants: [{grantee: 'arn:aws:iam::111122223333:root', operations: [Sign]}]", "Sign"),
    ("versions: 0", "'versions' must be between 1 and 1000"),
    ("versions: [{material: '00', private_key_pem: x}]", "give one of material, private_key_pem"),
])
def test_a_member_refused_names_the_line_it_is_on(member: str, expected: str) -> None:
    (found,) = problems(f"""\
        keys:
          - id: 0b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a51
            spec: SYMMETRIC_DEFAULT
            {member}
        """)
    assert found.startswith("keys.yaml:4: key 0b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a51: "), found
    assert expected in found


def test_the_same_key_id_twice_is_refused_at_its_second_line() -> None:
    (found,) = problems("""\
        keys:
          - {id: 0b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a51, spec: SYMMETRIC_DEFAULT}
        kmip:
          - {id: 0b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a51, type: secret}
        """)
    assert found == ("keys.yaml:4: key id 0b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a51 is given twice (also on line 2)")


def test_an_unknown_top_level_name_and_a_newer_format_are_refused() -> None:
    assert problems("secrets: []\n") == ["keys.yaml:1: the seed file: unknown member 'secrets' (known here: "
                                         "account, accounts, keys, kmip, region, strongroom_seed, transit)"]
    assert "format 2" in problems("strongroom_seed: 2\n")[0]


def test_kmip_objects_are_checked_for_their_kind() -> None:
    assert "'spec' is required for a symmetric key" in problems("kmip: [{id: 4b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a55, "
                                                                "type: symmetric-key}]\n")[0]
    assert "'secret_type' applies only to secret data" in problems(
        "kmip: [{id: 4b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a55, type: opaque, secret_type: seed}]\n")[0]


def test_material_is_refused_unless_allowed_naming_each_line_that_gives_it() -> None:
    seed = parse("""\
        keys:
          - id: 0b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a51
            spec: SYMMETRIC_DEFAULT
            versions:
              - material: 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
        kmip:
          - id: 4b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a55
            type: secret
            material: 00ff
        """)
    check_material_allowed(seed, True)
    with pytest.raises(SeedError) as caught:
        check_material_allowed(seed, False)
    assert [p.line for p in caught.value.problems] == [5, 9]
    assert "--allow-seeded-material" in str(caught.value)


def test_mixing_formats_is_refused() -> None:
    assert "mixes local-kms's Keys with Strongroom's keys" in problems("Keys: {}\nkeys: []\n")[0]
