"""OAuth 2.0 bearer tokens for the Azure and Google providers: fetched from a token endpoint, kept until shortly
before they expire (as libmongocrypt keeps them), and read from the endpoint's JSON answer."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from strongroom_client.errors import KmsError

REFRESH_BEFORE_SECONDS = 60.0


class TokenCache:
    """One token at a time; ``fetch`` returns ``(token, expires_in_seconds)``."""

    __slots__ = ("_clock", "_expires", "_lock", "_token")

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires = 0.0

    def __repr__(self) -> str:
        return f"TokenCache(cached={self._token is not None})"

    def get(self, fetch: Callable[[], tuple[str, float]]) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._expires - REFRESH_BEFORE_SECONDS:
                token, expires_in = fetch()
                self._token, self._expires = token, self._clock() + expires_in
            return self._token

    def forget(self) -> None:
        with self._lock:
            self._token = None


def token_from_answer(provider: str, status: int, body: bytes) -> tuple[str, float]:
    """``access_token`` and ``expires_in`` of a token endpoint's 200 answer; :class:`KmsError` otherwise."""
    try:
        answer: Any = json.loads(body)
    except ValueError:
        answer = None
    if status != 200:
        detail = ""
        if isinstance(answer, dict):
            detail = ": ".join(str(answer[k]) for k in ("error", "error_description") if answer.get(k))
        raise KmsError(f"KMS provider {provider!r}: the token endpoint answered HTTP {status}"
                       + (f" ({detail})" if detail else ""), status=status,
                       error_type=answer.get("error") if isinstance(answer, dict) else None)
    if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str) or not isinstance(
            answer.get("expires_in"), int | float | str):
        raise KmsError(f"KMS provider {provider!r}: the token endpoint's answer has no access_token and expires_in",
                       status=status)
    try:
        expires_in = float(answer["expires_in"])
    except ValueError:
        raise KmsError(f"KMS provider {provider!r}: expires_in is not a number", status=status) from None
    return answer["access_token"], expires_in
