"""The one error family that decoding raises, each carrying the ResultReason a server answers with.

KmipError            .reason (ResultReason) and .detail (safe to send back as the ResultMessage)
├── TtlvError        the bytes are not well-formed TTLV (Invalid Message)
│   └── FramingError the stream broke off, or announced a message larger than allowed
└── MessageError     well-formed TTLV that is not a valid KMIP message or payload
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from strongroom.protocols.kmip.enums import ResultReason

if TYPE_CHECKING:
    from strongroom.protocols.kmip.version import ProtocolVersion


class KmipError(Exception):
    def __init__(self, reason: ResultReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.protocol_version: ProtocolVersion | None = None
        """The request's version when it was read before the fault, so the answer can use it."""


class TtlvError(KmipError):
    """Malformed TTLV. ``offset`` is where in the input the fault was found."""

    def __init__(self, detail: str, offset: int | None = None) -> None:
        super().__init__(ResultReason.INVALID_MESSAGE, detail if offset is None else f"{detail} (at byte {offset})")
        self.offset = offset


class FramingError(TtlvError):
    pass


class MessageError(KmipError):
    """A message or payload the model refuses: structure faults are Invalid Message, bad values Invalid Field."""

    @classmethod
    def invalid_message(cls, detail: str) -> MessageError:
        return cls(ResultReason.INVALID_MESSAGE, detail)

    @classmethod
    def invalid_field(cls, detail: str) -> MessageError:
        return cls(ResultReason.INVALID_FIELD, detail)
