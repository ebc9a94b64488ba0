"""One HTTPS request to a KMS, and the retry policy libmongocrypt applies to HTTP providers.

A :data:`Transport` is any callable from :class:`HttpRequest` to :class:`HttpResponse`;
:class:`HttpsTransport` is the real one (one TLS connection per request, certificate and host name checked,
SNI). Tests and proxies can pass their own.
"""

from __future__ import annotations

import http.client
import json
import random
import ssl
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TypeVar

from strongroom_client.errors import KmsError

MAX_RESPONSE_BYTES = 16 * 1024 * 1024
T = TypeVar("T")


@dataclass(frozen=True)
class HttpRequest:
    provider: str
    host: str
    port: int
    headers: list[tuple[str, str]]
    body: bytes
    method: str = "POST"
    path: str = "/"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes


Transport = Callable[[HttpRequest], HttpResponse]


class HttpsTransport:
    """Sends a request over a fresh TLS connection verified with ``context``."""

    def __init__(self, context: ssl.SSLContext, timeout: float = 20.0) -> None:
        self._context = context
        self._timeout = timeout

    def __call__(self, request: HttpRequest) -> HttpResponse:
        conn = http.client.HTTPSConnection(request.host, request.port, timeout=self._timeout, context=self._context)
        try:
            conn.putrequest(request.method, request.path, skip_host=True, skip_accept_encoding=True)
            for name, value in request.headers:
                conn.putheader(name, value)
            conn.endheaders(request.body)
            response = conn.getresponse()
            body = response.read(MAX_RESPONSE_BYTES + 1)
            if len(body) > MAX_RESPONSE_BYTES:
                raise KmsError(f"KMS provider {request.provider!r}: response larger than 16 MiB")
            return HttpResponse(response.status, body)
        finally:
            conn.close()


@dataclass
class RetryPolicy:
    """Up to ``max_retries`` more attempts on a network error or a retryable status, with full-jitter
    exponential back-off (``base_delay * 2**(n-1)``, at most ``max_delay``)."""

    max_retries: int = 3
    base_delay: float = 0.2
    max_delay: float = 20.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    jitter: Callable[[], float] = field(default=random.random, repr=False)

    def send(
        self, make_request: Callable[[], HttpRequest], transport: Transport, retry_statuses: Collection[int]
    ) -> HttpResponse:
        """The first response that is not retryable, or the last one; :class:`KmsError` if the network
        failed on the final attempt. ``make_request`` is called per attempt (signatures carry a time)."""
        for attempt in range(self.max_retries + 1):
            self._pause(attempt)
            request = make_request()
            try:
                response = transport(request)
            except ssl.SSLCertVerificationError as exc:
                where = f"KMS provider {request.provider!r}"
                raise KmsError(f"{where}: TLS verification of {request.host} failed: {exc}") from None
            except (OSError, http.client.HTTPException) as exc:
                if attempt == self.max_retries:
                    raise KmsError(
                        f"KMS provider {request.provider!r}: cannot reach {request.host}:{request.port}: {exc}"
                    ) from None
                continue
            if response.status not in retry_statuses or attempt == self.max_retries:
                return response
        raise AssertionError("unreachable")

    def call(self, attempt: Callable[[], T], where: str, *, retries: int | None = None) -> T:
        """``attempt()``, tried again on a network error up to ``retries`` (default ``max_retries``) more times;
        :class:`KmsError` naming ``where`` if the last try failed too."""
        retries = self.max_retries if retries is None else retries
        for tried in range(retries + 1):
            self._pause(tried)
            try:
                return attempt()
            except ssl.SSLCertVerificationError as exc:
                raise KmsError(f"{where}: TLS verification failed: {exc}") from None
            except OSError as exc:
                if tried == retries:
                    raise KmsError(f"{where}: {exc}") from None
        raise AssertionError("unreachable")

    def _pause(self, attempt: int) -> None:
        if attempt:
            self.sleep(min(self.max_delay, self.base_delay * 2 ** (attempt - 1)) * self.jitter())


def cloud_error(provider: str, operation: str, response: HttpResponse, code_member: str) -> KmsError:
    """A :class:`KmsError` from an ``{"error": {code_member, "message"}}`` answer (Azure's and Google's shape)."""
    code = message = None
    try:
        error = json.loads(response.body).get("error")
        if isinstance(error, dict):
            code, message = error.get(code_member), error.get("message")
    except (ValueError, AttributeError):
        message = response.body[:200].decode("utf-8", "replace")
    detail = ": ".join(str(part) for part in (code, message) if part)
    return KmsError(f"KMS provider {provider!r}: {operation} failed with HTTP {response.status}"
                    + (f" ({detail})" if detail else ""), status=response.status,
                    error_type=str(code) if code else None)
