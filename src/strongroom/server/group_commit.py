"""Answers held back until the durable write of their batch (the audit trail) has succeeded: group commit.

Any listener uses it, whatever its protocol: an HTTP connection, later a KMIP one over TLS. Answers made during
one turn of the event loop form a batch; at the end of the turn the batch's ``commit`` runs (one durable write
however many connections) and its answers leave only when it is done. One commit is in flight at a time; answers
made meanwhile form the next batch. A failed commit replaces each answer of its batch with ``commit_failed``'s,
in the protocol of the answer it replaces.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

log = logging.getLogger("strongroom.server")

Answer = TypeVar("Answer")
Answer_contra = TypeVar("Answer_contra", contravariant=True)
Done = Callable[[Exception | None], None]
Commit = Callable[[Done], None]  # writes one batch durably, then calls ``done`` (now or later, on the loop)


class Connection(Protocol[Answer_contra]):
    def deliver(self, answer: Answer_contra, close: bool) -> None: ...


class GroupCommit(Generic[Answer]):
    def __init__(self, commit: Commit | None, commit_failed: Callable[[Exception, Answer], Answer]) -> None:
        self._commit = commit
        self._commit_failed = commit_failed
        self._held: list[tuple[Connection[Answer], Answer, bool]] = []
        self._in_flight: list[tuple[Connection[Answer], Answer, bool]] | None = None
        self._start_scheduled = False

    def answer(self, connection: Connection[Answer], answer: Answer, close: bool) -> None:
        """Deliver ``answer`` on ``connection`` once its batch is durable (at once when nothing is committed)."""
        if self._commit is None:
            connection.deliver(answer, close)
            return
        self._held.append((connection, answer, close))
        if self._in_flight is None and not self._start_scheduled:
            self._start_scheduled = True
            asyncio.get_running_loop().call_soon(self._start)

    def _start(self) -> None:
        self._start_scheduled = False
        if self._in_flight is not None or not self._held:
            return
        self._in_flight, self._held = self._held, []
        try:
            self._commit(self._done)  # type: ignore[misc]
        except Exception as exc:
            self._done(exc)

    def _done(self, error: Exception | None) -> None:
        batch, self._in_flight = self._in_flight or [], None
        if error is not None:
            log.error("commit failed; %d answers replaced by errors", len(batch))
            batch = [(c, self._commit_failed(error, held), close) for c, held, close in batch]
        for connection, answer, close in batch:
            connection.deliver(answer, close)
        if self._held:
            self._start()
