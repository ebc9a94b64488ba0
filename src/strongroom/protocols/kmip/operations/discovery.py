"""What the server offers: Discover Versions and Query."""

from __future__ import annotations

from strongroom.protocols.kmip.call import Call
from strongroom.protocols.kmip.enums import ObjectType, Operation, QueryFunction
from strongroom.protocols.kmip.request_payloads import DiscoverVersionsRequest, QueryRequest
from strongroom.protocols.kmip.response_payloads import DiscoverVersionsResponse, QueryResponse
from strongroom.protocols.kmip.version import DECODABLE_VERSIONS

VENDOR = "Strongroom"
OBJECT_TYPES = (ObjectType.SYMMETRIC_KEY, ObjectType.PUBLIC_KEY, ObjectType.PRIVATE_KEY, ObjectType.CERTIFICATE,
                ObjectType.SECRET_DATA, ObjectType.OPAQUE_OBJECT)


def discover_versions(call: Call, payload: DiscoverVersionsRequest) -> DiscoverVersionsResponse:
    """Ours, newest first; or those of the client's list we speak, in its order."""
    if not payload.protocol_versions:
        return DiscoverVersionsResponse(DECODABLE_VERSIONS)
    return DiscoverVersionsResponse(tuple(v for v in payload.protocol_versions if v in DECODABLE_VERSIONS))


def query(call: Call, payload: QueryRequest, operations: tuple[Operation, ...]) -> QueryResponse:
    functions = set(payload.query_functions)
    return QueryResponse(
        operations=operations if QueryFunction.OPERATIONS in functions else (),
        object_types=OBJECT_TYPES if QueryFunction.OBJECTS in functions else (),
        vendor_identification=VENDOR if QueryFunction.SERVER_INFORMATION in functions else None,
        server_information=() if QueryFunction.SERVER_INFORMATION in functions else None,
    )
