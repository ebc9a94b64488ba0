"""Group commit: answers leave only after their batch's commit, one commit at a time, and a failed commit turns
every answer of its batch into the failure answer."""

import asyncio

from strongroom.server.group_commit import Done, GroupCommit


class Conn:
    def __init__(self) -> None:
        self.delivered: list[tuple[str, bool]] = []

    def deliver(self, answer: str, close: bool) -> None:
        self.delivered.append((answer, close))


def test_answers_wait_for_their_commit_and_batch_together():
    commits: list[Done] = []

    async def run() -> Conn:
        answers = GroupCommit(commits.append, lambda exc, held: f"failed:{held}")
        conn = Conn()
        answers.answer(conn, "a", False)
        answers.answer(conn, "b", True)
        await asyncio.sleep(0)
        assert len(commits) == 1 and conn.delivered == []  # one commit for the batch, nothing out yet
        answers.answer(conn, "c", False)  # while a commit is in flight: the next batch
        await asyncio.sleep(0)
        assert len(commits) == 1
        commits[0](None)
        assert conn.delivered == [("a", False), ("b", True)]
        assert len(commits) == 2  # the next batch's commit starts at once
        commits[1](RuntimeError("disk full"))
        return conn

    conn = asyncio.run(run())
    assert conn.delivered[-1] == ("failed:c", False)


def test_without_a_commit_answers_leave_at_once():
    conn = Conn()
    GroupCommit(None, lambda exc, held: held).answer(conn, "a", False)
    assert conn.delivered == [("a", False)]
