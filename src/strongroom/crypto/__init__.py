"""The only place that touches cryptographic primitives (pyca/cryptography).

Callers never choose nonces or IVs; every decrypt failure surfaces as one opaque error.
"""
