"""The operator endpoint of a node: a Unix socket (mode 0600, in the data directory) owned by the supervisor.

``strongroom operator …`` connects, sends one JSON object on one line (``{"op": "unseal", "share": …}``) and
reads one JSON line back (``{"ok": true, …}`` or ``{"ok": false, "error": …}``). Only the server's own
user (or root) may connect: the file mode says so, and the peer's credentials are checked again on accept.
Every node has its own socket, so every node is unsealed on its own.
"""

from __future__ import annotations

import json
import os
import socket
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from strongroom.server.config import ConfigError

MAX_REQUEST_BYTES = 64 << 10
REQUEST_TIMEOUT = 10.0
_MAX_PATH = 107  # sockaddr_un.sun_path, less the terminating NUL

Handler = Callable[[dict[str, Any]], dict[str, Any]]


class ControlError(Exception):
    """The operator endpoint cannot be reached or answered nonsense."""


class ControlSocket:
    def __init__(self, path: Path) -> None:
        if len(os.fsencode(path)) > _MAX_PATH:
            raise ConfigError(f"the control socket path {path} is longer than {_MAX_PATH} bytes; "
                              "choose a shorter one with --control-socket")
        self.path = path
        if path.exists() or path.is_symlink():
            self._remove_stale()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        previous = os.umask(0o177)
        try:
            self.sock.bind(str(path))
        finally:
            os.umask(previous)
        os.chmod(path, 0o600)
        self.sock.listen(16)

    def _remove_stale(self) -> None:
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(self.path))
        except OSError:
            os.unlink(self.path)  # left behind by a server that died
            return
        finally:
            probe.close()
        raise ConfigError(f"another server is running with the control socket {self.path}")

    def fileno(self) -> int:
        return self.sock.fileno()

    def serve_one(self, handle: Handler) -> None:
        """Accept one operator connection and answer its one request (the socket is readable)."""
        conn, _ = self.sock.accept()
        with conn:
            conn.settimeout(REQUEST_TIMEOUT)
            try:
                if not _peer_allowed(conn):
                    _send(conn, {"ok": False, "error": "only the server's own user may use this socket"})
                    return
                request = _receive(conn)
                _send(conn, handle(request))
            except (OSError, ValueError):
                return

    def close(self) -> None:
        self.sock.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def _peer_allowed(conn: socket.socket) -> bool:
    _, uid, _ = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    return uid in (0, os.getuid())


def _receive(conn: socket.socket) -> dict[str, Any]:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_REQUEST_BYTES:
            raise ValueError("request too large")
    request = json.loads(data)
    if not isinstance(request, dict):
        raise ValueError("a request is a JSON object")
    return request


def _send(conn: socket.socket, answer: dict[str, Any]) -> None:
    conn.sendall(json.dumps(answer).encode() + b"\n")


def call(path: Path, request: dict[str, Any], *, timeout: float = 120.0) -> dict[str, Any]:
    """Send one request to a node's operator endpoint and return its answer."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError):
            raise ControlError(f"no server is listening on {path}; is it running with this --data-dir "
                               "(or --control-socket)?") from None
        except PermissionError:
            raise ControlError(f"permission denied on {path}; run as the server's user") from None
        _send(sock, request)
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        raise ControlError(f"the server did not answer on {path} within {timeout:.0f} s") from None
    finally:
        sock.close()
    try:
        answer = json.loads(data)
    except ValueError:
        raise ControlError(f"the server closed {path} without an answer") from None
    return answer
