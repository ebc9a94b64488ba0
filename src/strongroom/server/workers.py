"""Several worker processes on one machine: each binds the same ports (SO_REUSEPORT) and the kernel
spreads connections across them. The parent only starts, watches and stops them."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time

from strongroom.protocols.aws.model import KmsModel
from strongroom.server.config import ServerConfig
from strongroom.server.wiring import bind, serve_worker

log = logging.getLogger("strongroom.server")


def _start_worker(config: ServerConfig, model: KmsModel, index: int, sockets) -> int:  # type: ignore[no-untyped-def]
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        serve_worker(config, sockets or bind(config, reuse_port=True), model, run_scheduler=index == 0)
    except BaseException:
        log.exception("worker %d failed", index)
        code = 1
    finally:
        sys.stdout.flush()
        os._exit(code)


def run_workers(config: ServerConfig) -> None:
    """Serve with ``config.workers`` processes until SIGTERM or SIGINT; restart a worker that dies."""
    model = KmsModel()  # loaded once, shared copy-on-write by every worker
    first_sockets = bind(config, reuse_port=config.workers > 1)  # fails early if a port is taken
    if config.workers == 1:
        serve_worker(config, first_sockets, model, run_scheduler=True)
        return
    workers = {_start_worker(config, model, i, first_sockets if i == 0 else None): i
               for i in range(config.workers)}
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in workers:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while workers:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        index = workers.pop(pid, None)
        if index is not None and not stopping:
            log.error("worker %d (pid %d) exited with status %d; restarting", index, pid, status)
            time.sleep(0.5)
            workers[_start_worker(config, model, index, None)] = index
    for sock, _ in first_sockets:
        sock.close()
