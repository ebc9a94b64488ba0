"""cryptoKeyVersions and the primary: create, list, states, destroy/restore (and the destruction that follows),
skipInitialVersionCreation, rotation schedules and updatePrimaryVersion."""

from __future__ import annotations

from tests.protocols.gcp.gcp_helpers import RING, b64, unb64

KEY = f"{RING}/cryptoKeys/key"
DAY = 86400


def _key(client, ring, **params):
    return client.ok("POST", f"{ring}/cryptoKeys", {"purpose": "ENCRYPT_DECRYPT"}, cryptoKeyId="key", **params)


def _state(client, number):
    return client.ok("GET", f"{KEY}/cryptoKeyVersions/{number}")["state"]


def test_new_versions_are_not_primary_until_chosen(client, ring):
    _key(client, ring)
    made = client.ok("POST", f"{KEY}/cryptoKeyVersions", {})
    assert made["name"] == f"{KEY}/cryptoKeyVersions/2" and made["state"] == "ENABLED"
    assert client.ok("GET", KEY)["primary"]["name"].endswith("/1")
    updated = client.ok("POST", f"{KEY}:updatePrimaryVersion", {"cryptoKeyVersionId": "2"})
    assert updated["primary"]["name"].endswith("/2")
    assert client.ok("POST", f"{KEY}:encrypt", {"plaintext": b64(b"x")})["name"].endswith("/2")
    listed = client.ok("GET", f"{KEY}/cryptoKeyVersions")
    assert [v["name"][-1] for v in listed["cryptoKeyVersions"]] == ["1", "2"] and listed["totalSize"] == 2
    client.error(404, "NOT_FOUND", "POST", f"{KEY}:updatePrimaryVersion", {"cryptoKeyVersionId": "9"})
    client.error(400, "INVALID_ARGUMENT", "POST", f"{KEY}:updatePrimaryVersion", {"cryptoKeyVersionId": "x"})


def test_disable_enable_and_unknown_versions(client, ring):
    _key(client, ring)
    sealed = client.ok("POST", f"{KEY}:encrypt", {"plaintext": b64(b"data")})
    patched = client.ok("PATCH", f"{KEY}/cryptoKeyVersions/1", {"state": 2}, updateMask="state")
    assert patched["state"] == "DISABLED"
    message = client.error(400, "FAILED_PRECONDITION", "POST", f"{KEY}:decrypt", {"ciphertext": sealed["ciphertext"]})
    assert "DISABLED" in message
    client.error(400, "FAILED_PRECONDITION", "POST", f"{KEY}:encrypt", {"plaintext": b64(b"x")})
    client.ok("PATCH", f"{KEY}/cryptoKeyVersions/1", {"state": "ENABLED"}, updateMask="state")
    assert unb64(client.ok("POST", f"{KEY}:decrypt", {"ciphertext": sealed["ciphertext"]})["plaintext"]) == b"data"
    client.error(404, "NOT_FOUND", "GET", f"{KEY}/cryptoKeyVersions/7")
    client.error(404, "NOT_FOUND", "POST", f"{KEY}/cryptoKeyVersions/7:encrypt", {"plaintext": b64(b"x")})
    client.error(400, "INVALID_ARGUMENT", "PATCH", f"{KEY}/cryptoKeyVersions/1", {"state": "DESTROYED"},
                 updateMask="state")
    client.error(400, "INVALID_ARGUMENT", "PATCH", f"{KEY}/cryptoKeyVersions/1", {"state": "ENABLED"})


def test_destroy_restore_and_destruction_after_the_window(client, ring, clock, account):
    _key(client, ring, skipInitialVersionCreation=False)
    client.ok("PATCH", KEY, {"destroyScheduledDuration": f"{DAY}s"}, updateMask="destroyScheduledDuration")
    sealed = client.ok("POST", f"{KEY}:encrypt", {"plaintext": b64(b"gone soon")})
    scheduled = client.ok("POST", f"{KEY}/cryptoKeyVersions/1:destroy", {})
    assert scheduled["state"] == "DESTROY_SCHEDULED" and "destroyTime" in scheduled
    client.error(400, "FAILED_PRECONDITION", "POST", f"{KEY}:decrypt", {"ciphertext": sealed["ciphertext"]})
    assert client.ok("POST", f"{KEY}/cryptoKeyVersions/1:restore", {})["state"] == "DISABLED"
    client.error(400, "FAILED_PRECONDITION", "POST", f"{KEY}/cryptoKeyVersions/1:restore", {})
    client.ok("POST", f"{KEY}/cryptoKeyVersions/1:destroy", {})
    clock.advance(DAY + 1)
    client.token = account.self_signed(clock.now())
    assert _state(client, 1) == "DESTROYED"
    client.error(400, "FAILED_PRECONDITION", "POST", f"{KEY}/cryptoKeyVersions/1:restore", {})
    client.error(400, "FAILED_PRECONDITION", "PATCH", f"{KEY}/cryptoKeyVersions/1", {"state": "ENABLED"},
                 updateMask="state")
    client.error(400, "FAILED_PRECONDITION", "POST", f"{KEY}:decrypt", {"ciphertext": sealed["ciphertext"]})


def test_skip_initial_version_creation(client, ring):
    made = _key(client, ring, skipInitialVersionCreation=True)
    assert "primary" not in made
    assert client.ok("GET", f"{KEY}/cryptoKeyVersions") == {"cryptoKeyVersions": [], "totalSize": 0}
    client.error(400, "FAILED_PRECONDITION", "POST", f"{KEY}:encrypt", {"plaintext": b64(b"x")})
    client.error(404, "NOT_FOUND", "GET", f"{KEY}/cryptoKeyVersions/1")
    first = client.ok("POST", f"{KEY}/cryptoKeyVersions", {})
    assert first["name"].endswith("/cryptoKeyVersions/1")
    assert client.ok("GET", KEY)["primary"]["name"] == first["name"]
    sealed = client.ok("POST", f"{KEY}:encrypt", {"plaintext": b64(b"x")})
    assert unb64(client.ok("POST", f"{KEY}:decrypt", {"ciphertext": sealed["ciphertext"]})["plaintext"]) == b"x"


def test_rotation_period_rotates_and_the_new_version_is_primary(client, ring, clock, account):
    made = _key(client, ring, skipInitialVersionCreation=False)
    assert "rotationPeriod" not in made
    client.error(400, "INVALID_ARGUMENT", "PATCH", KEY, {"rotationPeriod": "60s"}, updateMask="rotationPeriod")
    patched = client.ok("PATCH", KEY, {"rotationPeriod": f"{2 * DAY}s"}, updateMask="rotationPeriod")
    assert patched["rotationPeriod"] == f"{2 * DAY}s" and patched["nextRotationTime"].endswith("Z")
    clock.advance(2 * DAY + 1)
    client.token = account.self_signed(clock.now())
    sealed = client.ok("POST", f"{KEY}:encrypt", {"plaintext": b64(b"rotated")})
    assert sealed["name"].endswith("/cryptoKeyVersions/2")
    assert client.ok("GET", KEY)["primary"]["name"].endswith("/2")
    cleared = client.ok("PATCH", KEY, {}, updateMask="rotationPeriod")
    assert "rotationPeriod" not in cleared


def test_labels_and_patch_validation(client, ring):
    _key(client, ring)
    assert client.ok("PATCH", KEY, {"labels": {"team": "a"}}, updateMask="labels")["labels"] == {"team": "a"}
    client.error(400, "INVALID_ARGUMENT", "PATCH", KEY, {"purpose": "MAC"}, updateMask="purpose")
    client.error(400, "INVALID_ARGUMENT", "PATCH", KEY, {"labels": {"a": 1}}, updateMask="labels")
    client.error(400, "INVALID_ARGUMENT", "PATCH", KEY, {})
