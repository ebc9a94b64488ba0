"""AWS Signature Version 4 verification for the KMS adapter.

Verifies ``Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`` the way AWS's
JSON (Coral) services do: the checks run in AWS's order and fail with AWS's error codes and wording.
Presigned (query-string) authentication is not supported; such a request counts as unauthenticated.

Sources for the codes, messages and order: captured DynamoDB (Coral, like KMS's TrentService) responses
recorded in ``mhart/dynalite`` index.js (all HTTP 400 on JSON services; botocore strips the
``com.amazon.coral.service#`` prefix, so the bare code is what clients see), the "Signature not yet current"
wording from real AWS error reports, and the IAM guide "Troubleshoot signed requests for AWS APIs".
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import quote

from strongroom.domain.context import AccessKey
from strongroom.protocols.http import HttpRequest

ALGORITHM = "AWS4-HMAC-SHA256"
MISSING_TOKEN = "MissingAuthenticationTokenException"
INCOMPLETE = "IncompleteSignatureException"
INVALID = "InvalidSignatureException"
UNRECOGNIZED = "UnrecognizedClientException"
MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret"
    " Access Key and signing method. Consult the service documentation for details."
)
INVALID_TOKEN_MESSAGE = "The security token included in the request is invalid."
_KEY_CACHE_MAX = 4096
_HEADER_CACHE_MAX = 4096
_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"


class SigV4Error(Exception):
    """code is the AWS error code; message is AWS-like wording; status is the HTTP status (400 or 403)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class _Header:
    """What an Authorization header says, parsed; its checks are made per request, in AWS's order."""

    algorithm: str
    credential: str | None
    signed: str | None  # SignedHeaders, lower case
    names: tuple[str, ...]  # the signed header names
    scope: tuple[str, ...]  # the Credential's slash-separated elements
    signature: str | None

    @classmethod
    def parse(cls, text: str, auth: str) -> _Header:
        """``text``: the header, or the part of it before its signature; ``auth``: the header, for messages."""
        algorithm, _, rest = text.partition(" ")
        params = _parse_authorization(auth, rest)
        credential, signed = params.get("Credential"), params.get("SignedHeaders")
        signed = signed.lower() if signed else signed
        return cls(algorithm, credential, signed, tuple(signed.split(";")) if signed else (),
                   tuple(credential.split("/")) if credential else (), params.get("Signature"))


@dataclass(slots=True)  # not frozen: built per request, and a frozen one costs 3-4x to build
class VerifiedRequest:
    access_key: AccessKey
    region: str  # from the credential scope
    session_token: str | None


class SigV4Verifier:
    """Checks SigV4 ``Authorization`` headers; derived signing keys are cached, access keys are not."""

    def __init__(
        self,
        lookup: Callable[[str], AccessKey | None],
        *,
        service: str = "kms",
        max_skew_seconds: int = 300,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._lookup = lookup
        self._service = service
        self._skew = max_skew_seconds
        self._skew_text = (
            f"{max_skew_seconds // 60} min" if max_skew_seconds % 60 == 0 else f"{max_skew_seconds} sec"
        )
        self._now = now
        self.signing_keys: dict[tuple[str, str, str, str], hmac.HMAC] = {}  # derived from secrets: cleared on seal
        self._headers: dict[str, _Header] = {}  # Authorization headers without their signature (public text)

    def verify(self, request: HttpRequest) -> VerifiedRequest:
        headers = request.headers
        auth = headers.get("authorization", "").strip()
        if not auth.startswith("AWS4-"):
            raise SigV4Error(MISSING_TOKEN, "Request is missing Authentication Token")
        header, signature = self._header(auth)
        credential, signed = header.credential, header.signed
        amz_date = headers.get("x-amz-date")
        raw_date = amz_date if amz_date is not None else headers.get("date")
        if not credential or not signed or not signature or raw_date is None:
            raise SigV4Error(INCOMPLETE, _missing_parts(auth, credential, signed, signature, raw_date))

        stamp = self._check_time(raw_date, rfc1123_allowed=amz_date is None)
        names = header.names
        # AWS's wording for Host; the same rule and wording are applied to the other two.
        if "host" not in names:
            raise SigV4Error(INVALID, "'Host' must be a 'SignedHeader' in the AWS Authorization.")
        if amz_date is not None and "x-amz-date" not in names:
            raise SigV4Error(INVALID, "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")
        if "x-amz-security-token" in headers and "x-amz-security-token" not in names:
            raise SigV4Error(INVALID, "'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization.")
        if header.algorithm != ALGORITHM:
            raise SigV4Error(
                INCOMPLETE, f"Unsupported AWS 'algorithm': '{header.algorithm}' (only {ALGORITHM} for now). "
            )
        if len(header.scope) != 5:
            raise SigV4Error(
                INCOMPLETE,
                "Credential must have exactly 5 slash-delimited elements, "
                f"e.g. keyid/date/region/service/term, got '{credential}'",
            )
        key_id, scope_date, region, service, terminator = header.scope
        self._check_scope(scope_date, region, service, terminator, stamp)

        key = self._lookup(key_id)
        if key is None or key.status != "Active":
            raise SigV4Error(UNRECOGNIZED, INVALID_TOKEN_MESSAGE)

        body_hash = hashlib.sha256(request.body).hexdigest()
        declared = headers.get("x-amz-content-sha256")
        if declared is not None and declared.lower() != body_hash:
            # S3's wording (XAmzContentSHA256Mismatch); KMS accepts no UNSIGNED-PAYLOAD either.
            raise SigV4Error(
                INVALID, "The provided 'x-amz-content-sha256' header does not match what was computed."
            )
        canonical = "\n".join(
            (
                request.method.upper(),
                _canonical_uri(request.path),
                _canonical_query(request.query),
                "".join(f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in names),
                signed,
                body_hash,
            )
        )
        scope = credential.partition("/")[2]
        digest = hashlib.sha256(canonical.encode("utf-8", "replace")).hexdigest()
        string_to_sign = f"{ALGORITHM}\n{stamp}\n{scope}\n{digest}"
        signer = self._signer(key.secret_access_key, scope_date, region, service).copy()
        signer.update(string_to_sign.encode())
        expected = signer.hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            raise SigV4Error(INVALID, MISMATCH_MESSAGE)
        return VerifiedRequest(key, region, headers.get("x-amz-security-token"))

    def _header(self, auth: str) -> tuple[_Header, str | None]:
        """The parsed header and its signature. Clients put the signature last, so the text before it is the
        same for all of a client's requests on one day: that part is parsed once and kept."""
        head, found, signature = auth.rpartition("Signature=")
        if not found or not head.endswith((" ", ",")) or " " in signature or "," in signature:
            whole = _Header.parse(auth, auth)
            return whole, whole.signature
        header = self._headers.get(head)
        if header is None:
            try:
                header = _Header.parse(head, auth)
            except SigV4Error:  # raised again with the whole header in its message
                whole = _Header.parse(auth, auth)
                return whole, whole.signature
            if header.signature is not None:  # a second Signature before the last one
                _Header.parse(auth, auth)  # raises, naming the repeated component
            if len(self._headers) >= _HEADER_CACHE_MAX:
                self._headers.clear()
            self._headers[head] = header
        return header, signature or None

    def _check_time(self, raw: str, *, rfc1123_allowed: bool) -> str:
        """Parse the request time, reject it when too far from now; return it in basic ISO 8601 form."""
        stamp, epoch = raw, _parse_basic_iso8601(raw)
        if epoch is None and rfc1123_allowed:  # a Date header in its usual HTTP form
            try:
                epoch = int(parsedate_to_datetime(raw).timestamp())
                stamp = _format(epoch)
            except (TypeError, ValueError):
                pass
        if epoch is None:
            raise SigV4Error(
                INCOMPLETE,
                f"Date must be in ISO-8601 'basic format'. Got '{raw}'. See http://en.wikipedia.org/wiki/ISO_8601",
            )
        now = int(self._now())
        if epoch < now - self._skew:
            raise SigV4Error(
                INVALID,
                f"Signature expired: {stamp} is now earlier than {_format(now - self._skew)} "
                f"({_format(now)} - {self._skew_text}.)",
            )
        if epoch > now + self._skew:
            raise SigV4Error(
                INVALID,
                f"Signature not yet current: {stamp} is still later than {_format(now + self._skew)} "
                f"({_format(now)} + {self._skew_text}.)",
            )
        return stamp

    def _check_scope(self, scope_date: str, region: str, service: str, terminator: str, stamp: str) -> None:
        problems = ""
        if not region:
            problems += "Credential should be scoped to a valid region, not ''. "
        if service != self._service:
            problems += f"Credential should be scoped to correct service: '{self._service}'. "
        if terminator != "aws4_request":
            problems += (
                f"Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. "
            )
        if scope_date != stamp[:8]:
            problems += (
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                f"'{scope_date}' != '{stamp[:8]}', from '{stamp}'."
            )
        if problems:
            raise SigV4Error(INVALID, problems)

    def _signer(self, secret: str, date: str, region: str, service: str) -> hmac.HMAC:
        """An HMAC keyed with the derived signing key, copied per request (cheaper than keying one anew)."""
        cache_key = (secret, date, region, service)
        signer = self.signing_keys.get(cache_key)
        if signer is None:
            key = hmac.digest(f"AWS4{secret}".encode(), date.encode(), "sha256")
            for part in (region, service, "aws4_request"):
                key = hmac.digest(key, part.encode(), "sha256")
            if len(self.signing_keys) >= _KEY_CACHE_MAX:
                self.signing_keys.clear()
            signer = self.signing_keys[cache_key] = hmac.new(key, digestmod=hashlib.sha256)
        return signer


def _missing_parts(auth: str, credential: str | None, signed: str | None, signature: str | None,
                   raw_date: str | None) -> str:
    missing = "".join(f"Authorization header requires '{name}' parameter. "
                      for name, value in (("Credential", credential), ("Signature", signature),
                                          ("SignedHeaders", signed)) if not value)
    if raw_date is None:
        missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
    return f"{missing}Authorization={auth}"


_COMPONENTS = frozenset({"Credential", "SignedHeaders", "Signature"})


def _parse_authorization(auth: str, rest: str) -> dict[str, str]:
    """``k=v`` pairs separated by commas and/or spaces (AWS accepts both). A component given twice, or one that
    is not a component, is refused: otherwise the header would mean one thing here and another to a proxy or a
    log reader that takes the first copy."""
    params: dict[str, str] = {}
    for item in rest.replace(",", " ").split():
        name, eq, value = item.partition("=")
        if not eq:
            raise SigV4Error(
                INCOMPLETE,
                f"'{name}' not a valid key=value pair (missing equal-sign) in Authorization header: "
                f"'{auth}'.",
            )
        if name not in _COMPONENTS:
            raise SigV4Error(INCOMPLETE, f"'{name}' is not a component of the Authorization header: '{auth}'.")
        if name in params:
            raise SigV4Error(INCOMPLETE, f"'{name}' appears more than once in the Authorization header: '{auth}'.")
        params[name] = value
    return params


@lru_cache(maxsize=256)  # most requests in a given second share their timestamp
def _parse_basic_iso8601(value: str) -> int | None:
    """Epoch seconds of ``YYYYMMDDTHHMMSSZ``, or None when it is not that."""
    if len(value) != 16 or value[8] != "T" or value[15] != "Z" or not value.isascii():
        return None
    digits = value[:8] + value[9:15]
    if not digits.isdigit():
        return None
    try:
        moment = datetime(
            int(digits[:4]), int(digits[4:6]), int(digits[6:8]), int(digits[8:10]), int(digits[10:12]),
            int(digits[12:]), tzinfo=UTC,
        )  # fmt: skip
    except ValueError:
        return None
    return int(moment.timestamp())


def _format(epoch: int) -> str:
    return time.strftime(_STAMP_FORMAT, time.gmtime(epoch))


def _canonical_uri(path: str) -> str:
    """The path with dot segments and empty segments removed, then URI-encoded (as botocore signs it)."""
    if path == "/" or not path:
        return "/"
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    normalized = "/" + "/".join(segments) + ("/" if path.endswith("/") and segments else "")
    return quote(normalized, safe="/~")


def _canonical_query(query: str) -> str:
    """``name=value`` pairs sorted by name then value, kept as the client encoded them (as botocore signs)."""
    if not query:
        return ""
    pairs = sorted(item.partition("=")[::2] for item in query.split("&"))
    return "&".join(f"{name}={value}" for name, value in pairs)
