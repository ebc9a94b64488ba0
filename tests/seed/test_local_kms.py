"""local-kms's seed files, unchanged: the documented format, its legacy list and its Version 2, applied with the
material they give."""

from __future__ import annotations

import textwrap

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from strongroom.domain.keys import KeyState
from strongroom.domain.references import KeyRef
from strongroom.seed import ApplyOptions, SeedError, apply_seed, parse_seed
from strongroom.seed.model import LOCAL_KMS
from tests.seed.outside import outside_ciphertext

AES = "bc436485-5092-42b8-92a3-0aa8b93536dc"
PENDING = "5d05267f-bb87-4d0b-8594-295a4371d414"
RSA = "ff275b92-0def-4dfc-b0f6-87c96b26c6c7"
ECC = "800d5768-3fd7-4edd-a4b8-4c81c3e4c147"
HMAC = "49c5492b-b1bc-42a8-9a5c-b2015e810c1c"
FIRST = "34743777217A25432A46294A404E635266556A586E3272357538782F413F4428"
SECOND = "614E645267556B58703273357638792F423F4528472B4B6250655368566D5971"
OPTIONS = ApplyOptions(default_account="111122223333", allow_material=True)


def pem_block(text: str, indent: int) -> str:
    return textwrap.indent(text.strip(), " " * indent)


@pytest.fixture(scope="module")
def keys_pem() -> tuple[str, str, ec.EllipticCurvePrivateKey]:
    ecc = ec.generate_private_key(ec.SECP256R1())
    sec1 = ecc.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()
    pkcs8 = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    return sec1, pkcs8, ecc


def documented_file(sec1: str, pkcs8: str) -> str:
    """The README's examples of local-kms, together in one file."""
    return f"""\
Keys:
  Symmetric:
    Aes:
      - Metadata:
          KeyId: {AES}
          Description: "Your key description"
        NextKeyRotation: "2019-09-12T15:19:21+00:00"
        BackingKeys:
          - {FIRST}
          - {SECOND}
      - Metadata:
          KeyId: {PENDING}
          Origin: EXTERNAL
    Hmac:
      - Metadata:
          KeyId: {HMAC}
          KeySpec: HMAC_256
        BackingKeys:
          - {"ab" * 32}
  Asymmetric:
    Rsa:
      - Metadata:
          KeyId: {RSA}
          KeyUsage: ENCRYPT_DECRYPT
          Description: RSA key with 2048 bits
        PrivateKeyPem: |
{pem_block(pkcs8, 10)}
    Ecc:
      - Metadata:
          KeyId: {ECC}
          KeyUsage: SIGN_VERIFY
          Description: ECC key with curve secp256r1
        PrivateKeyPem: |
{pem_block(sec1, 10)}

Aliases:
  - AliasName: alias/testing
    TargetKeyId: {AES}
  - AliasName: signing
    TargetKeyId: arn:aws:kms:eu-west-2:111122223333:key/{ECC}
"""


def test_the_documented_format_is_detected_and_read(keys_pem) -> None:  # type: ignore[no-untyped-def]
    sec1, pkcs8, _ = keys_pem
    seed = parse_seed(documented_file(sec1, pkcs8), "seed.yaml")
    assert seed.format == LOCAL_KMS
    by_id = {key.key_id: key for key in seed.keys}
    aes = by_id[AES]
    assert aes.versions is not None
    assert [v.material for v in aes.versions] == [bytes.fromhex(FIRST), bytes.fromhex(SECOND)]
    assert aes.rotation_period_days == 365 and aes.aliases == ("alias/testing",)
    assert by_id[PENDING].origin == "EXTERNAL" and by_id[PENDING].versions is None
    assert by_id[RSA].spec is None and by_id[RSA].usage == "ENCRYPT_DECRYPT"  # the spec is the PEM's
    assert by_id[ECC].aliases == ("alias/signing",)  # local-kms adds the prefix and takes ARNs


def test_the_documented_format_applies_with_its_material(core, ctx, keys_pem) -> None:  # type: ignore[no-untyped-def]
    sec1, pkcs8, ecc = keys_pem
    seed = parse_seed(documented_file(sec1, pkcs8), "seed.yaml")
    apply_seed(core, seed, OPTIONS)
    aes = core.keys.describe_key(ctx, AES)
    assert aes.current_version == 2 and aes.description == "Your key description"
    assert aes.rotation_period_days == 365
    old = outside_ciphertext(AES, 1, bytes.fromhex(FIRST), b"made with the first backing key")
    assert core.crypto.decrypt(ctx, old, None).plaintext == b"made with the first backing key"
    blob = core.crypto.encrypt(ctx, KeyRef(alias="alias/testing"), b"x").ciphertext
    assert int.from_bytes(blob[17:21], "big") == 2  # the last backing key encrypts
    assert core.keys.describe_key(ctx, PENDING).state is KeyState.PENDING_IMPORT
    assert core.keys.describe_key(ctx, RSA).key_spec == "RSA_2048"
    assert core.keys.describe_key(ctx, ECC).key_spec == "ECC_NIST_P256"
    public = core.asymmetric.get_public_key(ctx, ECC).der
    assert public == ecc.public_key().public_bytes(serialization.Encoding.DER,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    assert apply_seed(core, seed, OPTIONS).changes == []


def test_the_legacy_list_and_version_2_are_read() -> None:
    legacy = parse_seed(f"Keys:\n  - Metadata: {{KeyId: {AES}}}\n    BackingKeys: [{FIRST}]\n", "seed.yaml")
    assert legacy.keys[0].spec == "SYMMETRIC_DEFAULT" and legacy.keys[0].versions is not None
    v2 = parse_seed(f"""\
Version: 2
Keys:
  - KeyId: {HMAC}
    Metadata: {{KeySpec: HMAC_384, Description: macs}}
    Material: {{BackingKeys: ["{'cd' * 48}"]}}
  - KeyId: {AES}
    Metadata: {{}}
Aliases:
  - {{AliasName: alias/macs, TargetKeyId: {HMAC}}}
""", "seed.yaml")
    hmac_key, aes_key = v2.keys
    assert hmac_key.spec == "HMAC_384" and hmac_key.usage == "GENERATE_VERIFY_MAC"
    assert hmac_key.aliases == ("alias/macs",) and hmac_key.description == "macs"
    assert aes_key.spec == "SYMMETRIC_DEFAULT" and aes_key.versions is None


def test_members_local_kms_ignores_are_ignored_with_a_note() -> None:
    seed = parse_seed(f"Keys:\n  Symmetric:\n    Aes:\n      - Metadata: {{KeyId: {AES}, Enabled: false}}\n"
                      f"        BackingKeys: [{FIRST}]\n        Colour: blue\n", "seed.yaml")
    assert len(seed.notes) == 2
    assert "seed.yaml:4: key bc436485-5092-42b8-92a3-0aa8b93536dc: 'Enabled' is ignored" in seed.notes[0]
    assert "'Colour' is ignored" in seed.notes[1]


def test_mistakes_name_their_line() -> None:
    with pytest.raises(SeedError) as caught:
        parse_seed(f"""\
Keys:
  Symmetric:
    Aes:
      - Metadata: {{KeyId: {AES}}}
        BackingKeys: [not-hex]
      - Metadata: {{KeyId: nope}}
        BackingKeys: [{FIRST}]
      - Metadata: {{KeyId: {PENDING}}}
Aliases:
  - {{AliasName: alias/x, TargetKeyId: {RSA}}}
""", "seed.yaml")
    found = [str(p) for p in caught.value.problems]
    assert found[0].startswith("seed.yaml:5: key bc436485-5092-42b8-92a3-0aa8b93536dc: a backing key: material must "
                               "be hex")
    assert found[1].startswith("seed.yaml:6: Metadata: key id 'nope' is not a lower-case UUID")
    assert found[2] == ("seed.yaml:8: key 5d05267f-bb87-4d0b-8594-295a4371d414: at least one backing key must be "
                        "supplied (as local-kms requires)")


def test_an_alias_to_a_key_the_file_lacks_is_refused() -> None:
    with pytest.raises(SeedError, match=r"seed.yaml:4: alias alias/x: its TargetKeyId .* is not a key of this file"):
        parse_seed(f"Keys:\n  - Metadata: {{KeyId: {AES}}}\n    BackingKeys: [{FIRST}]\n"
                   f"Aliases: [{{AliasName: alias/x, TargetKeyId: {RSA}}}]\n", "seed.yaml")
