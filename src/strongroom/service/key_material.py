"""Key material as key interchange formats carry it (a private key's numbers, or the stored form), turned into the
stored form of a key spec and checked, for adapters that receive keys (``crypto/key_numbers.py`` does the work).
What it is given is plaintext key material: never logged, never kept."""

from __future__ import annotations

from strongroom.crypto.key_numbers import PrivateNumbers, imported_material, material_from_numbers

__all__ = ["PrivateNumbers", "imported_material", "material_from_numbers"]
