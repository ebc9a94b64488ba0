"""Every route given members of the wrong type, odd query values and odd bodies answers a 4xx in Google's shape,
never a 500."""

from __future__ import annotations

import itertools
import json

import pytest

from tests.protocols.gcp.gcp_helpers import PROJECT, b64

ODD_VALUES = [None, 0, -1, 2 ** 70, True, "", "x", "%%%", [], {}, [1], {"a": 1}, 1.5]
MEMBERS = ["plaintext", "ciphertext", "additionalAuthenticatedData", "plaintextCrc32c", "ciphertextCrc32c",
           "purpose", "versionTemplate", "state", "cryptoKeyVersionId", "digest", "data", "mac", "lengthBytes",
           "importMethod", "protectionLevel", "importJob", "wrappedKey", "algorithm", "rotationPeriod", "labels",
           "initializationVector", "tagLength", "importOnly", "destroyScheduledDuration"]


@pytest.fixture
def names(client, ring):
    client.ok("POST", f"{ring}/cryptoKeys", {"purpose": "ENCRYPT_DECRYPT"}, cryptoKeyId="k")
    key = f"{ring}/cryptoKeys/k"
    version = f"{key}/cryptoKeyVersions/1"
    return [("POST", f"projects/{PROJECT}/locations/global/keyRings", {"keyRingId": "r2"}),
            ("POST", f"{ring}/cryptoKeys", {"cryptoKeyId": "new"}),
            ("PATCH", key, {"updateMask": "rotationPeriod,labels"}),
            ("POST", f"{key}:encrypt", {}), ("POST", f"{key}:decrypt", {}),
            ("POST", f"{key}:updatePrimaryVersion", {}),
            ("PATCH", version, {"updateMask": "state"}), ("POST", f"{version}:destroy", {}),
            ("POST", f"{version}:asymmetricSign", {}), ("POST", f"{version}:macSign", {}),
            ("POST", f"{version}:rawDecrypt", {}), ("POST", f"{key}/cryptoKeyVersions:import", {}),
            ("POST", f"{ring}/importJobs", {"importJobId": "j"}),
            ("POST", f"projects/{PROJECT}/locations/global:generateRandomBytes", {})]


def test_wrong_types_never_fail_the_server(client, names):
    for (method, name, params), member, value in itertools.product(names, MEMBERS, ODD_VALUES):
        status, answer = client.call(method, name, {member: value}, **params)
        assert status < 500, (method, name, member, value, answer)
        if status != 200:
            assert set(answer["error"]) == {"code", "message", "status"}, answer


def test_odd_query_values_and_bodies(client, names, ring):
    for method, name, _ in names:
        for query in ("pageSize=-1", "pageToken=%%%", "updateMask=", "cryptoKeyId=", "keyRingId=a%2Fb",
                      "skipInitialVersionCreation=maybe"):
            response = client.raw(method, f"/v1/{name}", b"{}", query)
            assert response.status < 500, (name, query, response.body)
        for body in (b"null", b"[]", b"\"s\"", b"\xff\xfe", b"{" * 1000, json.dumps({"plaintext": b64(b"x")}).encode()):
            response = client.raw(method, f"/v1/{name}", body)
            assert response.status < 500, (name, body[:20], response.body)
    for path in ("/v1/projects/", "/v1/projects/p", "/v1/projects/p/locations", "/v1/projects/p/locations/l/x/y",
                 f"/v1/{ring}/cryptoKeys/k/cryptoKeyVersions/1/publicKey/extra", f"/v1/{ring}:encrypt",
                 "/v1/projects/p/locations/l/keyRings/r/importJobs/j/cryptoKeys/k"):
        response = client.raw("GET", path)
        assert response.status in (400, 403, 404), (path, response.body)
