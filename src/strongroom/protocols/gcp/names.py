"""Cloud KMS resource names: ``projects/P/locations/L[/keyRings/R[/cryptoKeys/K[/cryptoKeyVersions/V]]
|/importJobs/J]``, as a path (optionally ending in a collection and a ``:verb``) or inside a request body."""

from __future__ import annotations

import re
from dataclasses import dataclass

from strongroom.protocols.gcp.errors import invalid

_ID = re.compile(r"^[A-Za-z0-9_-]{1,63}$")
_PROJECT = re.compile(r"^[A-Za-z0-9._~:-]{1,100}$")
_LOCATION = re.compile(r"^[A-Za-z0-9_-]{1,63}$")
_COLLECTIONS = ("keyRings", "cryptoKeys", "cryptoKeyVersions")


@dataclass(frozen=True, slots=True)
class ResourceName:
    """The resource a request is about; absent levels are None."""

    project: str
    location: str
    key_ring: str | None = None
    crypto_key: str | None = None
    version: str | None = None
    import_job: str | None = None

    @property
    def location_path(self) -> str:
        return f"projects/{self.project}/locations/{self.location}"

    @property
    def key_ring_path(self) -> str:
        return f"{self.location_path}/keyRings/{self.key_ring}"

    @property
    def crypto_key_path(self) -> str:
        return f"{self.key_ring_path}/cryptoKeys/{self.crypto_key}"

    def version_path(self, number: int) -> str:
        return f"{self.crypto_key_path}/cryptoKeyVersions/{number}"

    def child(self, **levels: str) -> ResourceName:
        return ResourceName(**{**{f: getattr(self, f) for f in _FIELDS}, **levels})


_FIELDS = ("project", "location", "key_ring", "crypto_key", "version", "import_job")


@dataclass(frozen=True, slots=True)
class Target:
    """A request path: the resource, the collection under it that is listed or added to, and the ``:verb``."""

    name: ResourceName
    collection: str | None = None
    verb: str | None = None
    sub_resource: str | None = None  # ``publicKey`` of a version


def parse_path(path: str) -> Target:
    """``path`` after ``/v1/``; raises INVALID_ARGUMENT (a malformed name) or 404 (no such route)."""
    verb = None
    head, colon, tail = path.rpartition(":")
    if colon and "/" not in tail:
        path, verb = head, tail
    parts = path.split("/")
    if len(parts) < 4 or parts[0] != "projects" or parts[2] != "locations":
        raise invalid(f"Resource name [{path}] does not match any known resource name pattern.")
    project, location = parts[1], parts[3]
    if not _PROJECT.match(project) or not _LOCATION.match(location):
        raise invalid(f"Resource name [{path}] is invalid.")
    levels: dict[str, str] = {}
    rest = parts[4:]
    collection = sub_resource = None
    order = [*_COLLECTIONS]
    index = 0
    while rest:
        word = rest[0]
        expected = order[index] if index < len(order) else None
        if word == "importJobs" and index == 1:
            expected = "importJobs"
        if word == "publicKey" and index == 3 and len(rest) == 1:
            sub_resource = word
            break
        if word != expected:
            raise invalid(f"Resource name [{path}] does not match any known resource name pattern.")
        if len(rest) == 1:
            collection = word
            break
        ident = rest[1]
        if not _ID.match(ident):
            raise invalid(f"Resource name [{path}] is invalid: {word} id {ident!r} must match [a-zA-Z0-9_-]{{1,63}}.")
        levels[{"keyRings": "key_ring", "cryptoKeys": "crypto_key", "cryptoKeyVersions": "version",
                "importJobs": "import_job"}[word]] = ident
        rest = rest[2:]
        index = 4 if word == "importJobs" else index + 1
    return Target(ResourceName(project, location, **levels), collection, verb, sub_resource)


def parse_name(value: object, field: str) -> ResourceName:
    """A full resource name given in a body (an import job's name, say)."""
    if not isinstance(value, str) or not value:
        raise invalid(f"The request is missing a required field: {field}.")
    target = parse_path(value)
    if target.collection or target.verb or target.sub_resource:
        raise invalid(f"Invalid resource name in {field}: {value!r}.")
    return target.name


def check_id(value: str | None, field: str) -> str:
    if not value:
        raise invalid(f"The request is missing a required field: {field}.")
    if not _ID.match(value):
        raise invalid(f"Invalid {field}: {value!r} must match [a-zA-Z0-9_-]{{1,63}}.")
    return value
