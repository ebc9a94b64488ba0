"""The only code of the client library that touches cryptographic primitives (pyca/cryptography)."""
