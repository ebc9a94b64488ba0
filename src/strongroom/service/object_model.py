"""What a managed object is, as the core sees it: its kind, its view (a key of the store with a lifecycle), and the
shapes that go with making one and letting its material leave. No I/O here.

What the core keeps of an object's own, in the key's attributes (``object.*``): its kind, lifecycle state and dates
(``object_lifecycle.py``), the key spec and length of its material, whether it is sensitive (its material leaves only
wrapped) and the encoding a registered asymmetric key came in. Key specs of objects:

* symmetric keys: ``SYMMETRIC_DEFAULT`` (AES-256, usable through the AWS API by its id), ``AES_128``, ``AES_192``,
  ``HMAC_224/256/384/512`` (usable through the AWS API's MAC operations), ``STORED_SYMMETRIC`` (any other: kept);
* private keys: an AWS asymmetric spec (``RSA_2048``, ``ECC_NIST_P256``, ...), PKCS#8 at rest, or
  ``STORED_PRIVATE_KEY`` (RSA of another size: kept, never used to sign);
* public keys, certificates, secret data and opaque objects: ``PUBLIC_KEY``, ``CERTIFICATE``, ``SECRET``,
  ``OPAQUE``, with key usage ``NONE``, which no other protocol's operation takes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from strongroom.domain.key_specs import FAMILY, Family
from strongroom.domain.keys import Key
from strongroom.errors import InvalidRequestError
from strongroom.service.object_lifecycle import Lifecycle, ObjectDates

KIND = "object.kind"
ALGORITHM = "object.algorithm"  # the key spec of the material (a public key's: its pair's)
LENGTH = "object.length"  # bits
SENSITIVE = "object.sensitive"
ENCODING = "object.encoding"  # the encoding an asymmetric key was registered in (PKCS8, PKCS1 or SPKI)
OWN_PREFIXES = ("object.", "core.")
NO_USAGE = "NONE"  # the key usage of objects no cryptographic operation of another protocol takes
SYMMETRIC_SPECS: dict[str, int] = {"AES_128": 16, "AES_192": 24, "SYMMETRIC_DEFAULT": 32}
HMAC_SPECS = ("HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512")
STORED_SYMMETRIC = "STORED_SYMMETRIC"  # a symmetric key of an algorithm used elsewhere: kept and given out only
STORED_PRIVATE = "STORED_PRIVATE_KEY"  # a private key of no key spec (RSA-1024, ...): kept, given out, verifies


class ObjectKind(enum.StrEnum):
    SYMMETRIC_KEY = "symmetric-key"
    PRIVATE_KEY = "private-key"
    PUBLIC_KEY = "public-key"
    CERTIFICATE = "certificate"
    SECRET = "secret"
    OPAQUE = "opaque"


STORED_SPEC = {ObjectKind.PUBLIC_KEY: "PUBLIC_KEY", ObjectKind.CERTIFICATE: "CERTIFICATE",
               ObjectKind.SECRET: "SECRET", ObjectKind.OPAQUE: "OPAQUE"}
NOT_SECRET = (ObjectKind.PUBLIC_KEY, ObjectKind.CERTIFICATE)


@dataclass(frozen=True, slots=True)
class ManagedObject:
    key: Key
    kind: ObjectKind
    state: Lifecycle
    dates: ObjectDates
    managed: bool  # its lifecycle is kept here (made through this service), not by another protocol

    @property
    def object_id(self) -> str:
        return self.key.key_id

    @property
    def algorithm(self) -> str:
        """The key spec of its material (``SECRET``/``OPAQUE``/``CERTIFICATE`` for those)."""
        return self.key.attributes.get(ALGORITHM) or self.key.key_spec

    @property
    def length(self) -> int | None:
        text = self.key.attributes.get(LENGTH)
        return int(text) if text else spec_length(self.key.key_spec)

    @property
    def extractable(self) -> bool:
        return self.kind in NOT_SECRET or self.key.exportable

    @property
    def sensitive(self) -> bool:
        return self.key.attributes.get(SENSITIVE) == "true"

    @property
    def attributes(self) -> dict[str, str]:
        return self.key.attributes

    @property
    def registered_encoding(self) -> str | None:
        """The encoding a registered asymmetric key came in (``export`` can give it back in it)."""
        return self.key.attributes.get(ENCODING)


@dataclass(frozen=True, slots=True)
class NewObject:
    """What a new object starts with besides its material."""

    attributes: dict[str, str] = field(default_factory=dict)  # protocol attributes (``kmip.*``)
    extractable: bool = True
    sensitive: bool = False
    activation_date: float | None = None  # at or before now: created active
    deactivation_date: float | None = None
    description: str = ""


def spec_length(key_spec: str) -> int | None:
    if key_spec in SYMMETRIC_SPECS:
        return SYMMETRIC_SPECS[key_spec] * 8
    if key_spec.startswith(("HMAC_", "RSA_")):
        return int(key_spec.split("_")[1])
    if key_spec.startswith("ECC_NIST_P") or key_spec == "ECC_SECG_P256K1":
        return int(key_spec.removeprefix("ECC_NIST_P").removeprefix("ECC_SECG_P").removesuffix("K1"))
    return 255 if key_spec == "ECC_NIST_EDWARDS25519" else None


def check_protocol_attributes(attributes: dict[str, str]) -> None:
    if any(k.startswith(OWN_PREFIXES) for k in attributes):
        raise InvalidRequestError("the object's own attributes are read-only")


def kind_of(key: Key) -> ObjectKind:
    text = key.attributes.get(KIND)
    if text:
        return ObjectKind(text)
    family = FAMILY.get(key.key_spec)
    if family is None or family in (Family.SYMMETRIC, Family.HMAC) or key.key_spec in SYMMETRIC_SPECS:
        return ObjectKind.SYMMETRIC_KEY
    return ObjectKind.PRIVATE_KEY
