"""The composition of the core: one object that every front end is handed."""

from __future__ import annotations

from strongroom.domain.clock import Clock, SystemClock
from strongroom.service.aliases import AliasService
from strongroom.service.caches import StoreCaches
from strongroom.service.credentials import Credentials
from strongroom.service.crypto import CryptoService
from strongroom.service.key_hierarchy import open_key_hierarchy
from strongroom.service.keyring import KeyRing
from strongroom.service.keys import KeyService
from strongroom.service.rotation import RotationService
from strongroom.storage.base import Store
from strongroom.trust.base import RootOfTrust


class Core:
    """Keys, crypto, aliases, rotation and credentials over one store, unlocked by one root of trust."""

    def __init__(self, store: Store, root: RootOfTrust, clock: Clock | None = None) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        kek = open_key_hierarchy(store, root)
        caches = StoreCaches(store)
        self.ring = KeyRing(store, kek, caches)
        self.credentials = Credentials(store, kek, self.clock, caches)
        self.keys = KeyService(store, self.ring, kek, self.clock)
        self.crypto = CryptoService(self.ring)
        self.aliases = AliasService(store, self.ring, self.clock)
        self.rotation = RotationService(store, self.ring, self.keys, self.clock)

    def close(self) -> None:
        self.store.close()
