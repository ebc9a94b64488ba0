"""The worker processes of a node and their supervisor, the process that was started.

Workers bind the same ports (SO_REUSEPORT) and the kernel spreads connections across them. The supervisor
never serves the KMS API: it starts, watches and restarts workers, keeps the node's seal state
(``unsealer.py``), answers the operator endpoint (``seal_control.py``), and pushes every change of the seal
state to every worker over its seal channel (``seal_channel.py``) before it answers the operator. A new or
restarted worker gets the current state before it serves. ``--workers 1`` runs the same way, with one worker.
"""

from __future__ import annotations

import logging
import os
import selectors
import signal
import socket
import sys
import time
from typing import Any

from strongroom.protocols.aws.model import KmsModel
from strongroom.server.config import ServerConfig
from strongroom.server.hardening import disable_core_dumps
from strongroom.server.seal_channel import channel_pair, push, state_message
from strongroom.server.seal_control import ControlSocket
from strongroom.server.unsealer import Unsealer
from strongroom.server.wiring import bind, serve_worker

log = logging.getLogger("strongroom.server")

STOP_SECONDS = 8.0
RESTART_DELAY = 0.5

Sockets = list[tuple[socket.socket, bool]]


class Supervisor:
    def __init__(self, config: ServerConfig, unsealer: Unsealer, sockets: Sockets, control: ControlSocket) -> None:
        self.config = config
        self.unsealer = unsealer
        self.sockets = sockets
        self.control = control
        self.model = KmsModel()  # loaded once, shared copy-on-write by every worker
        self.workers: dict[int, tuple[int, socket.socket]] = {}  # pid -> (index, supervisor end of its channel)
        self.stopping = False
        self._pushed = -1
        self._wake_r, self._wake_w = os.pipe()

    # --- workers -------------------------------------------------------------------------------

    def _spawn(self, index: int) -> None:
        ours, theirs = channel_pair()
        pid = os.fork()
        if pid == 0:
            ours.close()
            self._become_worker(index, theirs)
        theirs.close()
        self.workers[pid] = (index, ours)
        if not push(ours, state_message(self.unsealer.kek)):
            log.error("worker %d (pid %d) did not take the seal state", index, pid)

    def _become_worker(self, index: int, channel: socket.socket) -> None:
        code = 0
        try:
            signal.set_wakeup_fd(-1)
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
                signal.signal(signum, signal.SIG_DFL)
            os.close(self._wake_r)
            os.close(self._wake_w)
            self.control.sock.close()
            for _, other in self.workers.values():
                other.close()  # else a sibling would not see the supervisor go away
            sockets = self.sockets if index == 0 else bind(self.config, reuse_port=True)
            serve_worker(self.config, sockets, self.model, run_scheduler=index == 0, channel=channel)
        except BaseException:
            log.exception("worker %d failed", index)
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            index, channel = self.workers.pop(pid, (None, None))
            if channel is not None:
                channel.close()
            if index is not None and not self.stopping:
                log.error("worker %d (pid %d) exited with status %d; restarting", index, pid, status)
                time.sleep(RESTART_DELAY)
                self._spawn(index)

    def _broadcast(self) -> None:
        """Push the seal state to every worker if it changed since the last push."""
        if self._pushed == self.unsealer.generation:
            return
        message = state_message(self.unsealer.kek)
        for pid, (index, channel) in list(self.workers.items()):
            if not push(channel, message):
                log.error("worker %d (pid %d) did not take the seal state; it is restarted if it died", index, pid)
        self._pushed = self.unsealer.generation

    # --- the operator --------------------------------------------------------------------------

    def _handle(self, request: dict[str, Any]) -> dict[str, Any]:
        answer = self.unsealer.handle(request)
        self._broadcast()
        if request.get("op") == "status":
            answer.update(pid=os.getpid(), workers=sorted(self.workers))
        return answer

    # --- the loop ------------------------------------------------------------------------------

    def _on_stop(self, signum: int, frame: object) -> None:
        self.stopping = True

    def run(self) -> None:
        os.set_blocking(self._wake_w, False)
        signal.set_wakeup_fd(self._wake_w)
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        self.unsealer.start()
        self._pushed = self.unsealer.generation
        for index in range(self.config.workers):
            self._spawn(index)
        selector = selectors.DefaultSelector()
        selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        selector.register(self.control.sock, selectors.EVENT_READ, "control")
        try:
            while not self.stopping:
                for key, _ in selector.select(self.unsealer.next_retry_in()):
                    if key.data == "wake":
                        os.read(self._wake_r, 512)
                    elif not self.stopping:
                        self.control.serve_one(self._handle)
                self._reap()
                self.unsealer.retry_if_due()
                self._broadcast()
        finally:
            selector.close()
            self._stop_workers()
            self.control.close()
            self.unsealer.wipe()
            for sock, _ in self.sockets:
                sock.close()

    def _stop_workers(self) -> None:
        self.stopping = True
        for pid in self.workers:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        while self.workers and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.02)
        for pid in list(self.workers):
            _signal(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            self.workers.pop(pid)


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def run_workers(config: ServerConfig, unsealer: Unsealer) -> None:
    """Serve with ``config.workers`` processes until SIGTERM or SIGINT; restart a worker that dies."""
    disable_core_dumps()
    sockets = bind(config, reuse_port=config.workers > 1, exclusive=True)  # fails early if a port is taken
    try:
        control = ControlSocket(config.control_socket_path)
    except BaseException:
        for sock, _ in sockets:
            sock.close()
        raise
    Supervisor(config, unsealer, sockets, control).run()
