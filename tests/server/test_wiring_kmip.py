"""The KMIP parts of the composition root: one commit shared by the HTTP and KMIP group commits (a failed write
fails every answer of its turn, in either protocol), and --dev's default KMIP port given up when it is taken."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from strongroom.server.config import ServerConfig
from strongroom.server.group_commit import GroupCommit
from strongroom.server.wiring import settle_kmip_port, shared_commit


class Held:
    def __init__(self) -> None:
        self.got: list[str] = []

    def deliver(self, answer: str, close: bool) -> None:
        self.got.append(answer)


def test_a_failed_write_fails_both_listeners_answers_of_that_turn_only() -> None:
    writes: list[str] = []
    outcomes = iter([RuntimeError("disk full"), None])

    def flush(done) -> None:  # type: ignore[no-untyped-def]
        writes.append("flush")
        done(next(outcomes, None))

    async def turn() -> tuple[list[str], list[str]]:
        commit = shared_commit(flush)
        http: GroupCommit[str] = GroupCommit(commit, lambda exc, held: f"error:{held}")
        kmip: GroupCommit[str] = GroupCommit(commit, lambda exc, held: f"error:{held}")
        a, b = Held(), Held()
        http.answer(a, "http-1", False)
        kmip.answer(b, "kmip-1", False)  # its event was in the batch the HTTP commit wrote (and failed)
        await asyncio.sleep(0.01)
        http.answer(a, "http-2", False)  # a later turn: a fresh write
        kmip.answer(b, "kmip-2", False)
        await asyncio.sleep(0.01)
        return a.got, b.got

    http_answers, kmip_answers = asyncio.run(turn())
    assert http_answers == ["error:http-1", "http-2"]
    assert kmip_answers == ["error:kmip-1", "kmip-2"]
    assert writes == ["flush", "flush", "flush"]  # the failure was not written again, the next turns were


def test_the_dev_default_kmip_port_is_given_up_when_taken_and_an_explicit_one_kept(tmp_path: Path) -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    taken = holder.getsockname()[1]
    try:
        optional = ServerConfig(tmp_path, dev=True, kmip_port=taken, kmip_port_optional=True)
        assert settle_kmip_port(optional).kmip_port == 0
        explicit = ServerConfig(tmp_path, dev=True, kmip_port=taken)
        assert settle_kmip_port(explicit).kmip_port == taken
    finally:
        holder.close()
    assert settle_kmip_port(ServerConfig(tmp_path, dev=True, kmip_port=taken, kmip_port_optional=True)).kmip_port \
        == taken
