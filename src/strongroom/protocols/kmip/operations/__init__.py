"""The one dispatch table of the KMIP adapter: each operation served, its handler, the name its audit event has,
the quota bucket it draws from (the AWS API's operation of the same effect) and how Undo treats it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from strongroom.protocols.kmip.call import Call
from strongroom.protocols.kmip.enums import Operation
from strongroom.protocols.kmip.operations import attributes, cipher, discovery, lifecycle, locate, objects

Handler = Callable[[Call, Any], Any]


@dataclass(frozen=True, slots=True)
class Served:
    handler: Handler
    quota: str
    read_only: bool = False
    creates: bool = False
    """Undo takes back what such an item did by destroying the objects it made; other changes cannot be undone."""


_TABLE: dict[Operation, Served] = {
    Operation.CREATE: Served(objects.create, "CreateKey", creates=True),
    Operation.CREATE_KEY_PAIR: Served(objects.create_key_pair, "CreateKey", creates=True),
    Operation.REGISTER: Served(objects.register, "ImportKeyMaterial", creates=True),
    Operation.REKEY: Served(objects.rekey, "RotateKeyOnDemand"),
    Operation.GET: Served(objects.get, "DescribeKey", read_only=True),
    Operation.LOCATE: Served(locate.locate, "ListKeys", read_only=True),
    Operation.CHECK: Served(lifecycle.check, "DescribeKey", read_only=True),
    Operation.GET_ATTRIBUTES: Served(attributes.get_attributes, "DescribeKey", read_only=True),
    Operation.GET_ATTRIBUTE_LIST: Served(attributes.get_attribute_list, "DescribeKey", read_only=True),
    Operation.ADD_ATTRIBUTE: Served(attributes.add_attribute, "TagResource"),
    Operation.MODIFY_ATTRIBUTE: Served(attributes.modify_attribute, "TagResource"),
    Operation.DELETE_ATTRIBUTE: Served(attributes.delete_attribute, "UntagResource"),
    Operation.SET_ATTRIBUTE: Served(attributes.set_attribute, "TagResource"),
    Operation.ACTIVATE: Served(lifecycle.activate, "EnableKey"),
    Operation.REVOKE: Served(lifecycle.revoke, "DisableKey"),
    Operation.DESTROY: Served(lifecycle.destroy, "ScheduleKeyDeletion"),
    Operation.ENCRYPT: Served(cipher.encrypt, "Encrypt", read_only=True),
    Operation.DECRYPT: Served(cipher.decrypt, "Decrypt", read_only=True),
    Operation.SIGN: Served(cipher.sign, "Sign", read_only=True),
    Operation.SIGNATURE_VERIFY: Served(cipher.verify, "Verify", read_only=True),
    Operation.MAC: Served(cipher.sign, "GenerateMac", read_only=True),
    Operation.MAC_VERIFY: Served(cipher.verify, "VerifyMac", read_only=True),
    Operation.RNG_RETRIEVE: Served(cipher.rng_retrieve, "GenerateRandom", read_only=True),
    Operation.DISCOVER_VERSIONS: Served(discovery.discover_versions, "", read_only=True),
}
SERVED_OPERATIONS: tuple[Operation, ...] = (*_TABLE, Operation.QUERY)
_TABLE[Operation.QUERY] = Served(partial(discovery.query, operations=SERVED_OPERATIONS), "", read_only=True)


def served(operation: Operation | int | None) -> Served | None:
    return _TABLE.get(operation)  # type: ignore[arg-type]


_NAMES = {Operation.REKEY: "ReKey", Operation.REKEY_KEY_PAIR: "ReKeyKeyPair", Operation.PKCS_11: "PKCS11",
          Operation.MAC: "MAC", Operation.MAC_VERIFY: "MACVerify", Operation.RNG_RETRIEVE: "RNGRetrieve",
          Operation.RNG_SEED: "RNGSeed"}


def event_name(operation: Operation | int | None) -> str:
    """``GetAttributeList`` for GET_ATTRIBUTE_LIST: the audit trail's name of a KMIP operation."""
    if isinstance(operation, Operation):
        return _NAMES.get(operation) or "".join(part.capitalize() for part in operation.name.split("_"))
    return "Unknown" if operation is None else f"Operation{operation}"
