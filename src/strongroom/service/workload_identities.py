"""Workload identities (Azure apps, Google service accounts) and the bearer tokens they obtain.

An identity proves itself once — an Azure client secret, or an RS256 assertion signed with a service account's
private key — and receives a short-lived bearer token: a JWT (HS256) signed with the identity's own token key,
carrying who it is (``oid``/``sub``: the identity, ``tid``: its tenant), for which audience and until when.
A token is accepted while it is unexpired and its identity still exists with the same token key: deleting the
identity revokes every token it got. Tokens are not stored, so a KMS call costs no write to authenticate.

Google's client libraries may skip the token endpoint and send an assertion (a self-signed JWT, ``iss == sub``)
directly as the bearer; :meth:`WorkloadIdentities.authenticate_bearer` accepts that too.
"""

from __future__ import annotations

import hmac
import os
import secrets
import string
import uuid
from dataclasses import dataclass

import jwt

from strongroom.crypto import jws
from strongroom.crypto.keygen import pem_key_pair
from strongroom.domain.clock import Clock
from strongroom.domain.context import ROOT_USER, Caller, principal_arn
from strongroom.domain.workload_identities import KINDS, WorkloadIdentity
from strongroom.errors import AuthenticationError, ExpiredCredentialsError, InvalidRequestError, NotFoundError
from strongroom.service.caches import BoundedCache, StoreCaches
from strongroom.service.key_hierarchy import KeyHierarchy
from strongroom.storage.base import Store

TOKEN_SECONDS = 3600
MAX_ASSERTION_SECONDS = 3600  # Google refuses assertions that live longer
CLOCK_LEEWAY_SECONDS = 60
ISSUER = "strongroom"
SECRET_ALPHABET = string.ascii_letters + string.digits + "-._~"  # unreserved: libmongocrypt sends secrets raw
_MAX_CACHED = 1024


@dataclass(frozen=True, slots=True)
class NewSecretClient:
    identity: WorkloadIdentity
    client_secret: str  # shown once

    def __repr__(self) -> str:
        return f"NewSecretClient({self.identity!r}, client_secret=<secret>)"


@dataclass(frozen=True, slots=True)
class NewKeyClient:
    identity: WorkloadIdentity
    private_key_pem: str  # shown once (written to the key file), never stored

    def __repr__(self) -> str:
        return f"NewKeyClient({self.identity!r}, private_key=<secret>)"


@dataclass(frozen=True, slots=True)
class IssuedBearer:
    token: str
    expires_in: int
    identity: WorkloadIdentity

    def __repr__(self) -> str:
        return f"IssuedBearer(<secret>, expires_in={self.expires_in}, {self.identity!r})"


class WorkloadIdentities:
    def __init__(self, store: Store, secrets_: KeyHierarchy, clock: Clock, caches: StoreCaches) -> None:
        self._store = store
        self._secrets = secrets_
        self._clock = clock
        self._caches = caches
        self._by_id: BoundedCache[str, WorkloadIdentity | None] = BoundedCache(_MAX_CACHED)
        self._token_keys: BoundedCache[bytes, bytes] = BoundedCache(_MAX_CACHED)  # wrapped → unwrapped; cleared on seal
        caches.register(self._by_id)
        caches.register(self._token_keys)

    # --- registration -----------------------------------------------------------------------------

    def create_secret_client(self, kind: str, account_id: str, user_name: str = ROOT_USER, *,
                             tenant: str | None = None, client_id: str | None = None,
                             description: str = "") -> NewSecretClient:
        """An identity that proves itself with a client secret (an Azure app: GUID client id and tenant)."""
        secret = "".join(secrets.choice(SECRET_ALPHABET) for _ in range(40))
        identity_id = client_id or str(uuid.uuid4())
        identity = self._put(kind, identity_id, tenant or str(uuid.uuid5(uuid.NAMESPACE_URL, account_id)),
                             account_id, user_name, description, client_secret=secret)
        return NewSecretClient(identity, secret)

    def create_key_client(self, kind: str, account_id: str, user_name: str = ROOT_USER, *, identity_id: str,
                          tenant: str, description: str = "") -> NewKeyClient:
        """An identity that proves itself with assertions signed by an RSA key made here; the private half is
        returned once and never kept (a Google service account and its JSON key file)."""
        pem, public = pem_key_pair("RSA_2048")
        identity = self._put(kind, identity_id, tenant, account_id, user_name, description, public_key=public,
                             key_id=os.urandom(20).hex())
        return NewKeyClient(identity, pem)

    def _put(self, kind: str, identity_id: str, tenant: str, account_id: str, user_name: str, description: str, *,
             client_secret: str | None = None, public_key: str | None = None,
             key_id: str | None = None) -> WorkloadIdentity:
        if kind not in KINDS:
            raise InvalidRequestError(f"unknown kind of workload identity {kind!r}")
        if self._store.get_user(account_id, user_name) is None and user_name != ROOT_USER:
            raise NotFoundError(f"user {user_name} of account {account_id} does not exist")
        label = _label(identity_id)
        identity = WorkloadIdentity(
            identity_id, kind, tenant, account_id, user_name,
            self._secrets.wrap(client_secret.encode(), label + "/secret") if client_secret is not None else None,
            public_key, key_id, self._secrets.wrap(os.urandom(32), label + "/token-key"), description,
            self._clock.now())
        with self._store.transaction():
            self._store.ensure_account(account_id, identity.created_at)
            self._store.engines.put_workload_identity(identity)
        self._by_id.clear()
        return identity

    def list(self, kind: str, account_id: str | None = None) -> list[WorkloadIdentity]:
        return self._store.engines.list_workload_identities(kind, account_id)

    def get(self, identity_id: str) -> WorkloadIdentity | None:
        self._caches.sync()
        try:
            return self._by_id[identity_id]
        except KeyError:
            return self._by_id.put(identity_id, self._store.engines.get_workload_identity(identity_id))

    def delete(self, identity_id: str) -> None:
        """Remove the identity; every token it obtained stops working at once."""
        with self._store.transaction():
            if not self._store.engines.delete_workload_identity(identity_id):
                raise NotFoundError(f"no workload identity {identity_id}")
        self._by_id.clear()

    @staticmethod
    def caller(identity: WorkloadIdentity) -> Caller:
        return Caller(identity.account_id, identity.identity_id, principal_arn(identity.account_id, identity.user_name),
                      identity.user_name)

    # --- proving an identity ----------------------------------------------------------------------

    def authenticate_secret(self, kind: str, client_id: str, client_secret: str,
                            tenant: str | None = None) -> WorkloadIdentity:
        """The identity whose client secret this is (compared in constant time), in ``tenant`` if given."""
        identity = self.get(client_id)
        if identity is None or identity.kind != kind or identity.client_secret is None:
            raise AuthenticationError("unknown client or wrong secret")
        stored = self._secrets.unwrap(identity.client_secret, _label(identity.identity_id) + "/secret")
        if not hmac.compare_digest(stored, client_secret.encode()):
            raise AuthenticationError("unknown client or wrong secret")
        if tenant is not None and tenant != identity.tenant:
            raise AuthenticationError(f"the client is not registered in tenant {tenant}")
        return identity

    def authenticate_assertion(self, kind: str, assertion: str, audiences: tuple[str, ...] | None) -> WorkloadIdentity:
        """The identity that signed this RS256 assertion (``iss``, and ``kid`` when given, name it). It must be
        unexpired, live at most an hour and, when ``audiences`` is given and it names an ``aud``, be meant for
        one of them. The signature is checked over the segments exactly as received: libmongocrypt pads them with
        ``=``, which JWT libraries refuse."""
        parsed = jws.parse(assertion)
        if parsed is None or parsed.header.get("alg") != "RS256":
            raise AuthenticationError("malformed assertion: expected an RS256 JWT")
        claims = parsed.claims
        identity = self.get(str(claims.get("iss", "")))
        if identity is None or identity.kind != kind or identity.public_key is None:
            raise AuthenticationError("the assertion's issuer is not a known service account")
        if parsed.header.get("kid") not in (None, identity.key_id):
            raise AuthenticationError("the assertion is signed with a key this service account does not have")
        if not jws.rs256_valid(parsed, identity.public_key):
            raise AuthenticationError("invalid assertion: the signature does not verify")
        issued, expires = claims.get("iat"), claims.get("exp")
        if not isinstance(issued, int) or not isinstance(expires, int):
            raise AuthenticationError("invalid assertion: iat and exp are required")
        self._check_lifetime(issued, expires, "assertion")
        if expires - issued > MAX_ASSERTION_SECONDS:
            raise AuthenticationError("the assertion lives longer than an hour")
        aud = claims.get("aud")
        named = {aud} if isinstance(aud, str) else set(aud) if isinstance(aud, list) else set()
        if audiences is not None and aud is not None and not named & set(audiences):
            raise AuthenticationError(f"the assertion is for another audience: {aud}")
        return identity

    def _check_lifetime(self, issued: int, expires: int, what: str) -> None:
        now = self._clock.now()
        if expires + CLOCK_LEEWAY_SECONDS <= now:
            raise ExpiredCredentialsError(f"the {what} has expired")
        if issued - CLOCK_LEEWAY_SECONDS > now:
            raise AuthenticationError(f"the {what} is not valid yet")

    # --- tokens -----------------------------------------------------------------------------------

    def issue_token(self, identity: WorkloadIdentity, audience: str) -> IssuedBearer:
        now = int(self._clock.now())
        claims = {"iss": ISSUER, "aud": audience, "sub": identity.identity_id, "oid": identity.identity_id,
                  "appid": identity.identity_id, "tid": identity.tenant, "iat": now, "nbf": now,
                  "exp": now + TOKEN_SECONDS, "jti": uuid.uuid4().hex}
        token = jwt.encode(claims, self._token_key(identity), algorithm="HS256", headers={"kid": identity.identity_id})
        return IssuedBearer(token, TOKEN_SECONDS, identity)

    def authenticate_token(self, kind: str, token: str) -> WorkloadIdentity:
        """The identity a token issued here stands for; AuthenticationError when forged, of another kind, for an
        identity since deleted, or ExpiredCredentialsError when expired."""
        try:
            identity_id = str(jwt.get_unverified_header(token).get("kid", ""))
        except jwt.PyJWTError:
            raise AuthenticationError("malformed bearer token") from None
        identity = self.get(identity_id)
        if identity is None or identity.kind != kind:
            raise AuthenticationError("the bearer token is not valid")
        try:
            claims = jwt.decode(token, self._token_key(identity), algorithms=["HS256"],
                                options={"verify_aud": False, "verify_exp": False, "verify_nbf": False,
                                         "verify_iat": False, "require": ["exp", "iat", "sub"]})
        except jwt.PyJWTError:
            raise AuthenticationError("the bearer token is not valid") from None
        self._check_lifetime(claims["iat"], claims["exp"], "bearer token")  # by the core's clock
        return identity

    def authenticate_bearer(self, kind: str, token: str, audiences: tuple[str, ...] | None = None) -> WorkloadIdentity:
        """A token issued here, or (for key clients) a self-signed assertion used directly as the bearer."""
        parsed = jws.parse(token)
        if parsed is None:
            raise AuthenticationError("malformed bearer token")
        if parsed.header.get("alg") == "RS256":
            return self.authenticate_assertion(kind, token, audiences)
        return self.authenticate_token(kind, token)

    def _token_key(self, identity: WorkloadIdentity) -> bytes:
        try:
            return self._token_keys[identity.token_key]
        except KeyError:
            key = self._secrets.unwrap(identity.token_key, _label(identity.identity_id) + "/token-key")
            return self._token_keys.put(identity.token_key, key)


def _label(identity_id: str) -> str:
    return f"workload-identity/{identity_id}"

