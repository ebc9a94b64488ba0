"""The composition of the core: one object that every front end is handed."""

from __future__ import annotations

from strongroom.crypto.keygen import forget_keys_made_ahead, make_rsa_ahead
from strongroom.domain.clock import Clock, SystemClock
from strongroom.domain.key_specs import FAMILY, Family
from strongroom.domain.limits import Limits
from strongroom.service.admin import AdminService
from strongroom.service.aliases import AliasService
from strongroom.service.asymmetric import AsymmetricService
from strongroom.service.audit import AuditTrail
from strongroom.service.authorization import Authorizer
from strongroom.service.caches import StoreCaches
from strongroom.service.credentials import Credentials
from strongroom.service.crypto import CryptoService
from strongroom.service.front_door import FrontDoor
from strongroom.service.grants import GrantService
from strongroom.service.key_hierarchy import KeyHierarchy
from strongroom.service.key_import import KeyImportService
from strongroom.service.keyring import KeyRing
from strongroom.service.keys import KeyService
from strongroom.service.mac import MacService
from strongroom.service.mounts import Mounts
from strongroom.service.named_keys import NamedKeyService
from strongroom.service.path_policies import PathPolicies
from strongroom.service.principals import Principals
from strongroom.service.quotas import Quotas
from strongroom.service.rotation import RotationService
from strongroom.service.tokens import Tokens
from strongroom.storage.base import Store
from strongroom.trust.base import RootOfTrust


class Core:
    """Keys, crypto, aliases, rotation, grants, principals and credentials over one store, unlocked by one
    root of trust.

    Built without a root, the core starts sealed: everything that needs a secret raises ``SealedError``
    until ``unseal`` is called.
    """

    def __init__(self, store: Store, root: RootOfTrust | None = None, clock: Clock | None = None, *,
                 operator_account: str | None = None, limits: Limits | None = None,
                 quotas: Quotas | None = None) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self.limits = limits or Limits()
        self.quotas = quotas or Quotas(enabled=False)
        self.secrets = KeyHierarchy(store)
        self.caches = StoreCaches(store)
        self.ring = KeyRing(store, self.secrets, self.caches, self.clock)
        self.credentials = Credentials(store, self.secrets, self.clock, self.caches)
        self.principals = Principals(store, self.clock, self.caches)
        self.authz = Authorizer(store, self.principals, self.clock, self.caches)
        self.audit = AuditTrail(store, self.clock)
        self.keys = KeyService(store, self.ring, self.secrets, self.authz, self.clock, self.audit,
                               self.limits)
        self.crypto = CryptoService(self.ring, self.authz)
        self.asymmetric = AsymmetricService(self.ring, self.authz)
        self.mac = MacService(self.ring, self.authz)
        self.key_import = KeyImportService(store, self.ring, self.secrets, self.keys, self.clock)
        self.aliases = AliasService(store, self.ring, self.authz, self.clock, self.limits)
        self.rotation = RotationService(store, self.ring, self.keys, self.clock, self.limits)
        self.grants = GrantService(store, self.ring, self.authz, self.clock, self.limits)
        self.admin = AdminService(self.principals, self.credentials, self.authz, operator_account)
        self.front_door = FrontDoor(self.secrets, self.quotas, self.audit)
        self.named_keys = NamedKeyService(store, self.ring, self.secrets, self.authz, self.clock, self.limits)
        self.tokens = Tokens(store, self.clock, self.caches)
        self.path_policies = PathPolicies(store, self.authz, self.caches)
        self.mounts = Mounts(store, self.authz, self.named_keys, self.clock, self.caches)
        if root is not None:
            self.unseal(root)

    @property
    def sealed(self) -> bool:
        return self.secrets.sealed

    def unseal(self, root: RootOfTrust) -> None:
        self.secrets.unseal(root)

    def unseal_with_kek(self, kek: bytes | bytearray) -> None:
        """Unseal with a KEK the node's supervisor unwrapped (see ``server/unsealer.py``)."""
        self.secrets.adopt(kek)

    @staticmethod
    def make_key_ahead(key_spec: str) -> None:
        """Make the RSA key (``RSA_2048``/``3072``/``4096``) that a request about to run will generate, on the
        calling thread: servers call this from a worker thread so that the slow generation stays off their event
        loop. Any other spec is ignored."""
        if FAMILY.get(key_spec) is Family.RSA:
            make_rsa_ahead(key_spec)

    def seal(self) -> None:
        """Forget the KEK, every unwrapped secret derived from it and the private keys made ahead."""
        self.secrets.seal()
        self.caches.clear_all()
        forget_keys_made_ahead()

    def close(self) -> None:
        self.store.close()
