"""What the HTTP server answers: health checks here, every other request to the adapter its path is mounted on.

``GET /health`` answers 200 while the process is alive, saying ``"ok"`` or ``"sealed"``; ``GET /ready``
answers 200 only when the node can serve keys (unsealed, store answering), else 503 (for load balancers);
``GET /metrics`` is the Prometheus exposition. Every other request is timed and counted (and access-logged
with ``--access-log``); while sealed, the AWS adapter refuses each API request with a retryable 503 (and
records it in the audit trail).
A request that will generate an RSA key gets that key made in a worker thread first (the answer is awaited), when
its adapter can tell from the request (``key_to_make_first``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import orjson

from strongroom.protocols.aws.app import AwsKmsApp
from strongroom.protocols.http import HttpRequest, HttpResponse
from strongroom.protocols.vault.app import PREFIX as VAULT_PREFIX
from strongroom.protocols.vault.app import VaultApp
from strongroom.server import logs
from strongroom.server.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from strongroom.server.metrics import Metrics
from strongroom.service.key_hierarchy import SEALED_MESSAGE

log = logging.getLogger("strongroom.http")
_OK = b'{"status":"ok"}'
_SEALED = orjson.dumps({"status": "sealed", "message": SEALED_MESSAGE})


class HttpAdapter(Protocol):
    def handle(self, request: HttpRequest) -> HttpResponse: ...

    def audit_failed(self, exc: Exception) -> HttpResponse:
        """The answer, in the adapter's own shape, that replaces one whose audit batch could not be written."""
        ...


class MountedAdapter(HttpAdapter, Protocol):
    """An adapter that says which paths are its own (``name`` is its ``facts["frontend"]``)."""

    name: str

    def serves(self, path: str) -> bool: ...


class Router:
    """The mount table of the HTTP listeners: each ``mounted`` adapter takes the paths it serves (tried in order),
    then ``/v1/`` is Vault's, and the AWS adapter takes everything else. Each answer says which adapter made it
    (``facts["frontend"]``)."""

    def __init__(self, aws: AwsKmsApp, metrics: Metrics | None = None, *, access_log: bool = False,
                 vault: VaultApp | None = None, mounted: Sequence[MountedAdapter] = ()) -> None:
        self._aws = aws
        self._core = aws.core
        self._mounts: list[tuple[Callable[[str], bool], HttpAdapter]] = [(m.serves, m) for m in mounted]
        if vault is not None:
            self._mounts.append((lambda path: path.startswith(VAULT_PREFIX), vault))
        self._by_name: dict[str, HttpAdapter] = {"aws": aws, **({"vault": vault} if vault is not None else {}),
                                                 **{m.name: m for m in mounted}}
        self._metrics = metrics
        self._access_log = access_log

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if request.method == "GET" and request.path in ("/health", "/ready", "/metrics"):
            return self._operational(request.path)
        started = time.perf_counter()
        adapter = self._adapter(request.path)
        ask = None if self._core.sealed else getattr(adapter, "key_to_make_first", None)
        key_spec = ask(request) if ask is not None else None
        if key_spec is not None:
            return self._after_making(key_spec, adapter, request, started)
        return self._handle(adapter, request, started)

    async def _after_making(self, key_spec: str, adapter: HttpAdapter, request: HttpRequest,
                            started: float) -> HttpResponse:
        """An RSA key takes up to a second to generate: make it in a worker thread, then handle the request."""
        try:
            await asyncio.get_running_loop().run_in_executor(None, self._core.make_key_ahead, key_spec)
        except Exception:  # the request then generates its key itself
            log.exception("could not make a %s key ahead", key_spec)
        return self._handle(adapter, request, started)

    def _adapter(self, path: str) -> HttpAdapter:
        if path == "/":  # every AWS request: no mount claims the root
            return self._aws
        for serves, adapter in self._mounts:
            if serves(path):
                return adapter
        return self._aws

    def _handle(self, adapter: HttpAdapter, request: HttpRequest, started: float) -> HttpResponse:
        response = adapter.handle(request)
        elapsed = time.perf_counter() - started
        facts = response.facts or {}
        if self._metrics is not None:
            self._metrics.observe(facts.get("frontend", "aws"), facts.get("operation", "Unknown"), response.status,
                                  elapsed)
        if self._access_log:
            logs.access(facts, response.status, elapsed)
        return response

    def audit_failed(self, exc: Exception, held: HttpResponse) -> HttpResponse:
        """The answer that replaces ``held`` when its audit batch could not be written, in its adapter's shape."""
        return self._by_name.get((held.facts or {}).get("frontend", "aws"), self._aws).audit_failed(exc)

    def end_of_turn(self) -> None:
        """Metrics and access-log lines are tallied per request and handed on once per event-loop turn."""
        if self._metrics is not None:
            self._metrics.flush()
        logs.flush_access()

    def _operational(self, path: str) -> HttpResponse:
        if path == "/metrics":
            if self._metrics is None:
                return HttpResponse(404, b'{"message":"metrics are not enabled"}', "application/json")
            return HttpResponse(200, self._metrics.render(), METRICS_CONTENT_TYPE)
        sealed = self._core.sealed
        if path == "/health":
            return HttpResponse(200, _SEALED if sealed else _OK, "application/json")
        if sealed:
            return HttpResponse(503, _SEALED, "application/json")
        try:
            self._core.check_store()
        except Exception as exc:
            return HttpResponse(503, orjson.dumps({"status": "unavailable", "message": f"store: {exc}"}),
                                "application/json")
        return HttpResponse(200, _OK, "application/json")
