"""Client certificates as credentials (KMIP over mutual TLS): bind a certificate, or an issuer and subject, to a
principal; a verified client certificate then authenticates as that principal, so key policies, identity policies
and grants decide what it may do, as for an access key or a bearer token."""

from __future__ import annotations

import uuid

from strongroom.crypto.certificates import certificate_identity
from strongroom.domain.client_certificates import CertificateBinding
from strongroom.domain.clock import Clock
from strongroom.domain.context import ROOT_USER, Caller, principal_arn
from strongroom.errors import AuthenticationError, InvalidRequestError, NotFoundError
from strongroom.service.caches import BoundedCache, StoreCaches
from strongroom.storage.base import Store

_MAX_CACHED = 4096


class ClientCertificates:
    def __init__(self, store: Store, clock: Clock, caches: StoreCaches) -> None:
        self._store = store
        self._clock = clock
        self._caches = caches
        self._by_certificate: BoundedCache[bytes, CertificateBinding | None] = BoundedCache(_MAX_CACHED)
        caches.register(self._by_certificate)

    def bind(self, account_id: str, user_name: str = ROOT_USER, *, certificate: bytes | None = None,
             issuer: str | None = None, subject: str | None = None, description: str = "") -> CertificateBinding:
        """Bind one certificate (PEM or DER: by its fingerprint), or every certificate an issuer gives a subject."""
        if (certificate is None) == (issuer is None or subject is None):
            raise InvalidRequestError("bind either a certificate or an issuer and a subject")
        if self._store.get_user(account_id, user_name) is None and user_name != ROOT_USER:
            raise NotFoundError(f"user {user_name} of account {account_id} does not exist")
        fingerprint = None
        if certificate is not None:
            identity = certificate_identity(certificate)
            fingerprint, issuer, subject = identity.fingerprint, identity.issuer, identity.subject
        now = self._clock.now()
        binding = CertificateBinding(uuid.uuid4().hex, fingerprint, issuer, subject, account_id, user_name,
                                     description, now)
        with self._store.transaction():
            self._store.ensure_account(account_id, now)
            self._store.engines.put_certificate_binding(binding)
        self._by_certificate.clear()
        return binding

    def authenticate(self, der_certificate: bytes) -> CertificateBinding:
        """The binding a (TLS-verified) client certificate matches, or AuthenticationError."""
        self._caches.sync()
        try:
            found = self._by_certificate[der_certificate]
        except KeyError:
            identity = certificate_identity(der_certificate)
            found = self._store.engines.find_certificate_binding(identity.fingerprint, identity.issuer,
                                                                 identity.subject)
            self._by_certificate.put(der_certificate, found)
        if found is None:
            raise AuthenticationError("the client certificate is not bound to any principal")
        return found

    @staticmethod
    def caller(binding: CertificateBinding) -> Caller:
        return Caller(binding.account_id, binding.binding_id, principal_arn(binding.account_id, binding.user_name),
                      binding.user_name)

    def list(self, account_id: str | None = None) -> list[CertificateBinding]:
        return self._store.engines.list_certificate_bindings(account_id)

    def revoke(self, binding_id: str) -> None:
        with self._store.transaction():
            if not self._store.engines.delete_certificate_binding(binding_id):
                raise NotFoundError(f"no client certificate binding {binding_id}")
        self._by_certificate.clear()  # other processes see the change through the store
