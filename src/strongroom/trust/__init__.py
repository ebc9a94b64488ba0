"""Roots of trust: where the root key lives that unlocks the data-store key-encryption key.

Only the key-encryption key (KEK) is wrapped by the root, so changing the root rewraps one record.
"""
