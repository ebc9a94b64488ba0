"""The one dispatch table of the Cloud KMS REST API (v1): (method, resource level, collection, ``:verb`` or
sub-resource) → (operation name, handler). gRPC is not served."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strongroom.protocols.gcp import ciphers, crypto_keys, import_jobs, key_rings, signing, versions
from strongroom.protocols.gcp.errors import GoogleError
from strongroom.protocols.gcp.names import ResourceName, Target
from strongroom.protocols.gcp.request import Call

Handler = Callable[[Call], dict[str, Any]]

_ROUTES: dict[tuple[str, str, str | None], tuple[str, Handler]] = {
    ("POST", "location", "keyRings"): ("CreateKeyRing", key_rings.create),
    ("GET", "location", "keyRings"): ("ListKeyRings", key_rings.list_key_rings),
    ("POST", "location", ":generateRandomBytes"): ("GenerateRandomBytes", signing.generate_random_bytes),
    ("GET", "key_ring", None): ("GetKeyRing", key_rings.get),
    ("POST", "key_ring", "cryptoKeys"): ("CreateCryptoKey", crypto_keys.create),
    ("GET", "key_ring", "cryptoKeys"): ("ListCryptoKeys", crypto_keys.list_crypto_keys),
    ("GET", "crypto_key", None): ("GetCryptoKey", crypto_keys.get),
    ("PATCH", "crypto_key", None): ("UpdateCryptoKey", crypto_keys.patch),
    ("POST", "crypto_key", ":updatePrimaryVersion"): ("UpdateCryptoKeyPrimaryVersion",
                                                      crypto_keys.update_primary_version),
    ("POST", "crypto_key", ":encrypt"): ("Encrypt", ciphers.encrypt),
    ("POST", "crypto_key", ":decrypt"): ("Decrypt", ciphers.decrypt),
    ("POST", "crypto_key", "cryptoKeyVersions"): ("CreateCryptoKeyVersion", versions.create),
    ("GET", "crypto_key", "cryptoKeyVersions"): ("ListCryptoKeyVersions", versions.list_versions),
    ("POST", "crypto_key", "cryptoKeyVersions:import"): ("ImportCryptoKeyVersion", import_jobs.import_version),
    ("POST", "key_ring", "importJobs"): ("CreateImportJob", import_jobs.create),
    ("GET", "key_ring", "importJobs"): ("ListImportJobs", import_jobs.list_import_jobs),
    ("GET", "import_job", None): ("GetImportJob", import_jobs.get),
    ("GET", "version", None): ("GetCryptoKeyVersion", versions.get),
    ("PATCH", "version", None): ("UpdateCryptoKeyVersion", versions.patch),
    ("POST", "version", ":destroy"): ("DestroyCryptoKeyVersion", versions.destroy),
    ("POST", "version", ":restore"): ("RestoreCryptoKeyVersion", versions.restore),
    ("POST", "version", ":encrypt"): ("Encrypt", ciphers.encrypt),
    ("POST", "version", ":rawEncrypt"): ("RawEncrypt", ciphers.raw_encrypt),
    ("POST", "version", ":rawDecrypt"): ("RawDecrypt", ciphers.raw_decrypt),
    ("POST", "version", ":asymmetricSign"): ("AsymmetricSign", signing.asymmetric_sign),
    ("POST", "version", ":asymmetricDecrypt"): ("AsymmetricDecrypt", signing.asymmetric_decrypt),
    ("GET", "version", "publicKey"): ("GetPublicKey", signing.public_key),
    ("POST", "version", ":macSign"): ("MacSign", signing.mac_sign),
    ("POST", "version", ":macVerify"): ("MacVerify", signing.mac_verify),
}
READ_ONLY = frozenset({
    "ListKeyRings", "GetKeyRing", "ListCryptoKeys", "GetCryptoKey", "ListCryptoKeyVersions", "GetCryptoKeyVersion",
    "GetPublicKey", "ListImportJobs", "GetImportJob", "Encrypt", "Decrypt", "RawEncrypt", "RawDecrypt",
    "AsymmetricSign", "AsymmetricDecrypt", "MacSign", "MacVerify", "GenerateRandomBytes"})


def _level(name: ResourceName) -> str:
    if name.version is not None:
        return "version"
    if name.crypto_key is not None:
        return "crypto_key"
    if name.import_job is not None:
        return "import_job"
    if name.key_ring is not None:
        return "key_ring"
    return "location"


def route(method: str, target: Target, path: str) -> tuple[str, Handler]:
    verb = f":{target.verb}" if target.verb else ""
    part = (target.collection or target.sub_resource or "") + verb or None
    found = _ROUTES.get((method, _level(target.name), part))
    if found is None:
        raise GoogleError(404, "NOT_FOUND", f"Method not found: {method} /v1/{path}")
    return found
