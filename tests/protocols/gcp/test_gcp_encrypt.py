"""keyRings, cryptoKeys and encrypt/decrypt with additional authenticated data and CRC32C, in process."""

from __future__ import annotations

from strongroom.protocols.gcp.crc32c import crc32c
from tests.protocols.gcp.gcp_helpers import PROJECT, RING, b64, unb64

KEY = f"{RING}/cryptoKeys/key"


def _key(client, ring, key_id="key", **body):
    return client.ok("POST", f"{ring}/cryptoKeys", {"purpose": "ENCRYPT_DECRYPT", **body}, cryptoKeyId=key_id)


def test_crc32c_known_answer():
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0


def test_key_rings_create_get_list(client, ring):
    got = client.ok("GET", ring)
    assert got["name"] == ring and got["createTime"].endswith("Z")
    client.ok("POST", f"projects/{PROJECT}/locations/global/keyRings", {}, keyRingId="other")
    client.ok("POST", f"projects/{PROJECT}/locations/us-east1/keyRings", {}, keyRingId="elsewhere")
    listed = client.ok("GET", f"projects/{PROJECT}/locations/global/keyRings")
    assert [r["name"] for r in listed["keyRings"]] == [f"projects/{PROJECT}/locations/global/keyRings/other", ring]
    client.error(409, "ALREADY_EXISTS", "POST", f"projects/{PROJECT}/locations/global/keyRings", {},
                 keyRingId="ring")
    client.error(404, "NOT_FOUND", "GET", f"projects/{PROJECT}/locations/global/keyRings/nope")


def test_crypto_key_create_get_list(client, ring):
    made = _key(client, ring)
    assert made["name"] == KEY
    assert made["purpose"] == "ENCRYPT_DECRYPT"
    assert made["primary"]["name"] == f"{KEY}/cryptoKeyVersions/1" and made["primary"]["state"] == "ENABLED"
    assert made["versionTemplate"] == {"protectionLevel": "SOFTWARE", "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION"}
    assert client.ok("GET", KEY)["primary"]["name"] == made["primary"]["name"]
    _key(client, ring, "another")
    assert [k["name"] for k in client.ok("GET", f"{ring}/cryptoKeys")["cryptoKeys"]] == [f"{ring}/cryptoKeys/another",
                                                                                       KEY]
    client.error(409, "ALREADY_EXISTS", "POST", f"{ring}/cryptoKeys", {"purpose": "ENCRYPT_DECRYPT"},
                 cryptoKeyId="key")
    client.error(404, "NOT_FOUND", "POST", f"projects/{PROJECT}/locations/global/keyRings/none/cryptoKeys",
                 {"purpose": "ENCRYPT_DECRYPT"}, cryptoKeyId="k")


def test_numeric_enums_in_and_out(client, ring):
    client.numeric = True
    made = client.ok("POST", f"{ring}/cryptoKeys", {"purpose": 1, "versionTemplate": {"algorithm": 1,
                                                                                     "protectionLevel": 1}},
                     cryptoKeyId="numeric")
    assert made["purpose"] == 1 and made["primary"]["state"] == 1 and made["versionTemplate"]["algorithm"] == 1


def test_encrypt_decrypt_with_aad_and_crc32c(client, ring):
    _key(client, ring)
    plaintext, aad = b"attack at dawn", b"context"
    sealed = client.ok("POST", f"{KEY}:encrypt", {"plaintext": b64(plaintext), "additionalAuthenticatedData": b64(aad),
                                                  "plaintextCrc32c": str(crc32c(plaintext)),
                                                  "additionalAuthenticatedDataCrc32c": str(crc32c(aad))})
    assert sealed["name"] == f"{KEY}/cryptoKeyVersions/1"
    assert sealed["verifiedPlaintextCrc32c"] is True and sealed["verifiedAdditionalAuthenticatedDataCrc32c"] is True
    ciphertext = unb64(sealed["ciphertext"])
    assert int(sealed["ciphertextCrc32c"]) == crc32c(ciphertext)
    opened = client.ok("POST", f"{KEY}:decrypt", {"ciphertext": sealed["ciphertext"],
                                                  "additionalAuthenticatedData": b64(aad),
                                                  "ciphertextCrc32c": str(crc32c(ciphertext))})
    assert unb64(opened["plaintext"]) == plaintext and opened["usedPrimary"] is True
    assert int(opened["plaintextCrc32c"]) == crc32c(plaintext)
    without = client.ok("POST", f"{KEY}:encrypt", {"plaintext": b64(plaintext)})
    assert without["verifiedPlaintextCrc32c"] is False


def test_decrypt_refuses_wrong_aad_and_tampering(client, ring):
    _key(client, ring)
    sealed = client.ok("POST", f"{KEY}:encrypt", {"plaintext": b64(b"x"), "additionalAuthenticatedData": b64(b"a")})
    message = client.error(400, "INVALID_ARGUMENT", "POST", f"{KEY}:decrypt", {"ciphertext": sealed["ciphertext"],
                                                                              "additionalAuthenticatedData": b64(b"b")})
    assert "ciphertext" in message.lower()
    raw = bytearray(unb64(sealed["ciphertext"]))
    raw[-1] ^= 1
    client.error(400, "INVALID_ARGUMENT", "POST", f"{KEY}:decrypt", {"ciphertext": b64(bytes(raw)),
                                                                    "additionalAuthenticatedData": b64(b"a")})
    client.error(400, "INVALID_ARGUMENT", "POST", f"{KEY}:decrypt", {"ciphertext": b64(b"short")})


def test_crc_mismatch_is_refused(client, ring):
    _key(client, ring)
    message = client.error(400, "INVALID_ARGUMENT", "POST", f"{KEY}:encrypt",
                           {"plaintext": b64(b"abc"), "plaintextCrc32c": str(crc32c(b"abd"))})
    assert "plaintextCrc32c" in message
    client.error(400, "INVALID_ARGUMENT", "POST", f"{KEY}:encrypt", {"plaintext": b64(b"abc"),
                                                                    "plaintextCrc32c": "not-a-number"})


def test_encrypt_with_a_version_name_and_decrypt_by_key(client, ring):
    _key(client, ring)
    client.ok("POST", f"{KEY}/cryptoKeyVersions", {})
    sealed = client.ok("POST", f"{KEY}/cryptoKeyVersions/2:encrypt", {"plaintext": b64(b"v2")})
    assert sealed["name"] == f"{KEY}/cryptoKeyVersions/2"
    primary = client.ok("POST", f"{KEY}:encrypt", {"plaintext": b64(b"v1")})
    assert primary["name"] == f"{KEY}/cryptoKeyVersions/1"  # a new version is not made primary
    opened = client.ok("POST", f"{KEY}:decrypt", {"ciphertext": sealed["ciphertext"]})
    assert unb64(opened["plaintext"]) == b"v2" and opened["usedPrimary"] is False


def test_ciphertext_of_one_key_does_not_open_under_another(client, ring):
    _key(client, ring)
    _key(client, ring, "second")
    sealed = client.ok("POST", f"{KEY}:encrypt", {"plaintext": b64(b"secret")})
    client.error(400, "INVALID_ARGUMENT", "POST", f"{ring}/cryptoKeys/second:decrypt",
                 {"ciphertext": sealed["ciphertext"]})


def test_plaintext_limit(client, ring):
    _key(client, ring)
    client.ok("POST", f"{KEY}:encrypt", {"plaintext": b64(b"\0" * 65536)})
    client.error(400, "INVALID_ARGUMENT", "POST", f"{KEY}:encrypt", {"plaintext": b64(b"\0" * 65537)})
    client.error(400, "INVALID_ARGUMENT", "POST", f"{KEY}:encrypt", {})


def test_key_to_make_first_names_rsa_keys_only_for_a_valid_bearer(app, client):
    import orjson

    from strongroom.protocols.http import HttpRequest

    def request(path: str, body: dict, token: str | None = client.token) -> HttpRequest:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return HttpRequest("POST", path, "cryptoKeyId=k", headers, orjson.dumps(body))

    create = f"/v1/{RING}/cryptoKeys"
    assert app.key_to_make_first(request(create, {"purpose": 6, "versionTemplate": {"algorithm": 10}})) == "RSA_4096"
    assert app.key_to_make_first(request(create, {"purpose": 5, "versionTemplate": {
        "algorithm": "RSA_SIGN_PSS_2048_SHA256"}})) == "RSA_2048"
    assert app.key_to_make_first(request(create, {"purpose": "ENCRYPT_DECRYPT"})) is None
    assert app.key_to_make_first(request(f"/v1/{RING}/importJobs", {})) == "RSA_4096"
    assert app.key_to_make_first(request(f"/v1/{KEY}:encrypt", {})) is None
    assert app.key_to_make_first(HttpRequest("POST", create, "", {"authorization": f"Bearer {client.token}"},
                                             b"{bad")) is None
    rsa = {"purpose": 6, "versionTemplate": {"algorithm": 10}}
    assert app.key_to_make_first(request(create, rsa, token=None)) is None  # nobody else makes the server generate
    assert app.key_to_make_first(request(create, rsa, token="forged.jwt.token")) is None
