"""Imported key material (Origin EXTERNAL): GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial.

An import token carries its own RSA wrapping private key, wrapped under the data-store KEK and bound to the
key and to the token's header (``crypto/import_token.py``): nothing is stored until the import, any worker
can accept it, and it expires 24 hours after it was issued (the injected clock decides).

Imported material is checked against the key's spec and stored like generated material (wrapped under the
KEK, bound to ``key-material/<key id>/<version>``). Its KeyMaterialId is derived from the key id and the
material, so re-importing the same material is recognised and different material is IncorrectKeyMaterial.
Symmetric keys may hold several materials: NEW_KEY_MATERIAL adds one pending rotation (RotateKeyOnDemand
makes it current); asymmetric and HMAC keys keep their first material for life. A key is Enabled only
while every material up to its current one is present; deleting or expiring one makes it PendingImport.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from strongroom.crypto.import_token import INVALID, TokenHeader, split_token, token_label
from strongroom.crypto.import_wrapping import new_wrapping_key, unwrap_key_material
from strongroom.crypto.materials import canonical_material, material_fingerprint
from strongroom.domain import key_specs as specs
from strongroom.domain.actions import Action
from strongroom.domain.clock import Clock
from strongroom.domain.context import RequestContext
from strongroom.domain.keys import SYMMETRIC_DEFAULT, Key
from strongroom.domain.references import KeyRef
from strongroom.errors import (
    ExpiredImportTokenError,
    IncorrectKeyMaterialError,
    InvalidCiphertextError,
    InvalidImportTokenError,
    InvalidRequestError,
    KeyStateError,
    NotFoundError,
    UnsupportedError,
)
from strongroom.service.key_hierarchy import KeyHierarchy, material_label
from strongroom.service.keyring import KeyRing
from strongroom.service.keys import KeyService
from strongroom.service.material_expiry import enabled_after_import, missing_material
from strongroom.storage.base import Store
from strongroom.storage.records import StoredVersion


@dataclass(frozen=True, slots=True)
class ImportParameters:
    key: Key
    import_token: bytes
    public_key: bytes  # DER SubjectPublicKeyInfo of the RSA wrapping key
    valid_to: float


@dataclass(frozen=True, slots=True)
class MaterialRequest:
    """What ImportKeyMaterial asks for, besides the material itself."""

    valid_to: float | None
    expiration_model: str
    import_type: str | None
    description: str | None
    material_id: str | None


class KeyImportService:
    def __init__(self, store: Store, ring: KeyRing, secrets: KeyHierarchy, keys: KeyService, clock: Clock) -> None:
        self._store = store
        self._ring = ring
        self._secrets = secrets
        self._keys = keys
        self._clock = clock

    def get_parameters_for_import(self, ctx: RequestContext, key_ref: KeyRef | str, wrapping_algorithm: str,
                                  wrapping_key_spec: str) -> ImportParameters:
        specs.check_wrapping(wrapping_algorithm, wrapping_key_spec)
        key = self._keys.authorized(ctx, key_ref, Action.GET_PARAMETERS_FOR_IMPORT, extra={
            "kms:WrappingAlgorithm": wrapping_algorithm, "kms:WrappingKeySpec": wrapping_key_spec})
        key.check_imported()
        key.check_not_pending_deletion()
        private_key, public_key = new_wrapping_key(wrapping_key_spec)
        expires_at = int(self._clock.now()) + specs.IMPORT_TOKEN_SECONDS
        header = TokenHeader(key.key_id, expires_at, wrapping_algorithm, wrapping_key_spec).encode()
        token = header + self._secrets.wrap(private_key, token_label(header))
        return ImportParameters(key, token, public_key, float(expires_at))

    def import_key_material(self, ctx: RequestContext, key_ref: KeyRef | str, import_token: bytes,
                            encrypted_material: bytes,
                            *, valid_to: float | None = None, expiration_model: str | None = None,
                            import_type: str | None = None, description: str | None = None,
                            material_id: str | None = None) -> tuple[Key, str]:
        """Unwrap, check and attach key material; (the key as it now is, the material's KeyMaterialId)."""
        request = MaterialRequest(valid_to, expiration_model or specs.KEY_MATERIAL_EXPIRES, import_type,
                                  description, material_id)
        extra: dict[str, object] = {"kms:ExpirationModel": request.expiration_model}
        if valid_to is not None:
            extra["kms:ValidTo"] = int(valid_to)
        key = self._keys.authorized(ctx, key_ref, Action.IMPORT_KEY_MATERIAL, extra=extra)
        key.check_imported()
        key.check_not_pending_deletion()
        self._check_request(key, request)
        material = canonical_material(key.key_spec, self._unwrap(key, import_token, encrypted_material))
        fingerprint = material_fingerprint(key.key_id, material)
        with self._store.transaction():
            current = self._store.get_key(key.key_id)
            if current is None:
                raise NotFoundError(f"Key '{key_ref}' does not exist")
            updated = self._attach(current, material, fingerprint, request)
        self._ring.forget_material(key.key_id)
        self._ring.remember(updated)
        return updated, fingerprint

    def _check_request(self, key: Key, request: MaterialRequest) -> None:
        now = self._clock.now()
        if request.expiration_model == specs.KEY_MATERIAL_EXPIRES:
            if request.valid_to is None:
                raise InvalidRequestError("ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES.")
            if not now < request.valid_to <= now + specs.MAX_VALID_TO_SECONDS:
                raise InvalidRequestError("ValidTo must be in the future and at most 365 days from now.")
        elif request.valid_to is not None:
            raise InvalidRequestError("ValidTo is valid only when ExpirationModel is KEY_MATERIAL_EXPIRES.")
        if key.key_spec != SYMMETRIC_DEFAULT and (request.description is not None or request.material_id is not None):
            raise InvalidRequestError("KeyMaterialId and KeyMaterialDescription are valid only for symmetric "
                                      "encryption keys.")

    def _unwrap(self, key: Key, import_token: bytes, encrypted_material: bytes) -> bytes:
        header, header_bytes, wrapped = split_token(import_token)
        if header.key_id != key.key_id:
            raise InvalidImportTokenError(INVALID)
        try:
            wrapping_key = self._secrets.unwrap(wrapped, token_label(header_bytes))
        except InvalidCiphertextError:
            raise InvalidImportTokenError(INVALID) from None
        if self._clock.now() >= header.expires_at:
            raise ExpiredImportTokenError("The import token has expired; call GetParametersForImport for a new "
                                          "import token and wrapping key.")
        return unwrap_key_material(wrapping_key, header.wrapping_algorithm, encrypted_material)

    def _attach(self, key: Key, material: bytes, fingerprint: str, request: MaterialRequest) -> Key:
        versions = self._store.get_versions(key.key_id)
        known = next((v for v in versions if v.material_id == fingerprint), None)
        import_type = request.import_type or (specs.EXISTING_KEY_MATERIAL if versions else specs.NEW_KEY_MATERIAL)
        if import_type == specs.EXISTING_KEY_MATERIAL:
            if request.material_id is not None and request.material_id != fingerprint:
                raise IncorrectKeyMaterialError("The KeyMaterialId does not identify the key material imported.")
            if known is None:
                raise IncorrectKeyMaterialError(f"The key material is not key material previously imported into "
                                                f"{key.arn}.")
            wrapped = self._secrets.wrap(material, material_label(key.key_id, known.version))
            description = request.description if request.description is not None else known.description
            self._store.update_version(key.key_id, replace(
                known, wrapped_material=wrapped, valid_to=request.valid_to,
                expiration_model=request.expiration_model, description=description))
        else:
            key = self._add_new(key, versions, known, material, fingerprint, request)
        updated = enabled_after_import(key, self._store.get_versions(key.key_id))
        self._store.update_key(updated)
        return updated

    def _add_new(self, key: Key, versions: list[StoredVersion], known: StoredVersion | None, material: bytes,
                 fingerprint: str, request: MaterialRequest) -> Key:
        if request.material_id is not None:
            raise InvalidRequestError("You cannot specify a KeyMaterialId with ImportType NEW_KEY_MATERIAL.")
        if known is not None:
            raise IncorrectKeyMaterialError(f"This key material is already associated with {key.arn}; import it "
                                            "with ImportType EXISTING_KEY_MATERIAL.")
        if versions and key.key_spec != SYMMETRIC_DEFAULT:
            raise UnsupportedError(f"The key material of {key.key_spec} keys cannot change after the first import; "
                                   "only that material can be imported again.")
        if any(v.version > key.current_version for v in versions):
            raise KeyStateError(f"{key.arn} already has key material pending rotation; rotate the key "
                                "(RotateKeyOnDemand) or delete that material first.")
        number = key.current_version + 1
        wrapped = self._secrets.wrap(material, material_label(key.key_id, number))
        self._store.add_version(key.key_id, StoredVersion(
            number, fingerprint, self._clock.now(), None, wrapped, request.valid_to, request.expiration_model,
            request.description))
        return key if versions else key.evolve(current_version=number)

    def delete_imported_key_material(self, ctx: RequestContext, key_ref: KeyRef | str,
                                     material_id: str | None = None) -> tuple[Key, str]:
        """Delete one imported material (default: the current one); (the key as it now is, its KeyMaterialId).
        Material pending rotation goes entirely; any other leaves the key PendingImport until re-imported."""
        found = self._keys.authorized(ctx, key_ref, Action.DELETE_IMPORTED_KEY_MATERIAL)
        found.check_imported()
        with self._store.transaction():
            key = self._store.get_key(found.key_id)
            if key is None:
                raise NotFoundError(f"Key '{key_ref}' does not exist")
            versions = self._store.get_versions(key.key_id)
            if material_id is not None:
                target = next((v for v in versions if v.material_id == material_id), None)
            else:
                target = next((v for v in versions if v.version == key.current_version), None)
            if target is None:
                if material_id is not None:
                    raise NotFoundError(f"Key material {material_id} is not associated with {key.arn}.")
                raise KeyStateError(f"{key.arn} has no imported key material.")
            if target.version > key.current_version:
                self._store.delete_version(key.key_id, target.version)
            else:
                self._store.update_version(key.key_id, replace(target, wrapped_material=b""))
                key = missing_material(key)
                self._store.update_key(key)
        self._ring.forget_material(key.key_id)
        self._ring.remember(key)
        return key, target.material_id
