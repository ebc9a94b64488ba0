"""A base for objects that hold key material: they cannot be printed or pickled."""

from __future__ import annotations


class Opaque:
    __slots__ = ()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<secret>)"

    def __reduce__(self):  # type: ignore[no-untyped-def]
        raise TypeError("key material cannot be pickled")
