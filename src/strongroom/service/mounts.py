"""Engines mounted at paths of an account (Vault's ``sys/mounts``): enable, list, tune, disable.

Disabling a mount deletes the keys of its namespace, as Vault does; a mount enabled again at the same path is
a new, empty one (a new uuid).
"""

from __future__ import annotations

import uuid

from strongroom.domain.actions import Action
from strongroom.domain.clock import Clock
from strongroom.domain.context import RequestContext
from strongroom.domain.engines import Mount
from strongroom.errors import InvalidRequestError, NotFoundError
from strongroom.service.authorization import Authorizer
from strongroom.service.caches import StoreCaches
from strongroom.service.named_keys import NamedKeyService
from strongroom.storage.base import Store

_RESERVED = ("sys/", "auth/", "cubbyhole/", "identity/")


def mount_path(path: str) -> str:
    cleaned = path.strip("/")
    if not cleaned:
        raise InvalidRequestError("path cannot be empty")
    return cleaned + "/"


class Mounts:
    def __init__(self, store: Store, authz: Authorizer, keys: NamedKeyService, clock: Clock,
                 caches: StoreCaches) -> None:
        self._store = store
        self._authz = authz
        self._keys = keys
        self._clock = clock
        self._caches = caches
        self._mounts: dict[str, list[Mount]] = {}
        caches.register(self._mounts)

    def all(self, account_id: str) -> list[Mount]:
        self._caches.sync()
        found = self._mounts.get(account_id)
        if found is None:
            found = self._mounts[account_id] = self._store.engines.list_mounts(account_id)
        return found

    def find(self, account_id: str, path: str) -> tuple[Mount, str] | None:
        """The mount a request path falls in (the longest mount path that prefixes it), and the rest."""
        best = None
        for mount in self.all(account_id):
            if (path + "/").startswith(mount.path) and (best is None or len(mount.path) > len(best.path)):
                best = mount
        return (best, path[len(best.path):]) if best is not None else None

    def enable(self, ctx: RequestContext, path: str, engine_type: str, description: str = "",
               config: dict | None = None) -> Mount:  # type: ignore[type-arg]
        self._authz.check_account(ctx, Action.MOUNT_ENGINE)
        path = mount_path(path)
        if path.startswith(_RESERVED):
            raise InvalidRequestError(f"cannot mount '{path}': the path is reserved")
        for mount in self.all(ctx.caller.account_id):
            if path.startswith(mount.path) or mount.path.startswith(path):
                raise InvalidRequestError(f"path is already in use at {mount.path}")
        mount = Mount(ctx.caller.account_id, path, engine_type, str(uuid.uuid4()), description, dict(config or {}),
                      self._clock.now())
        with self._store.transaction():
            self._store.ensure_account(ctx.caller.account_id, self._clock.now())
            self._store.engines.put_mount(mount)
        self._mounts.pop(mount.account_id, None)
        return mount

    def tune(self, ctx: RequestContext, path: str, description: str | None, config: dict) -> Mount:  # type: ignore[type-arg]
        self._authz.check_account(ctx, Action.MOUNT_ENGINE)
        mount = self._exact(ctx, path)
        updated = Mount(mount.account_id, mount.path, mount.engine_type, mount.uuid,
                        mount.description if description is None else description, {**mount.config, **config},
                        mount.created_at)
        self._store.engines.update_mount(updated)
        self._mounts.pop(mount.account_id, None)
        return updated

    def _exact(self, ctx: RequestContext, path: str) -> Mount:
        path = mount_path(path)
        for mount in self.all(ctx.caller.account_id):
            if mount.path == path:
                return mount
        raise NotFoundError(f"no mount at {path}")

    def disable(self, ctx: RequestContext, path: str) -> None:
        """Unmount and delete the mount's keys (a path with no mount: nothing to do, as Vault answers)."""
        self._authz.check_account(ctx, Action.UNMOUNT_ENGINE)
        try:
            mount = self._exact(ctx, path)
        except NotFoundError:
            return
        self._keys.delete_namespace(ctx, mount.uuid)
        self._store.engines.delete_mount(mount.account_id, mount.path)
        self._caches.clear_all()
