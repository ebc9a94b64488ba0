"""Pure rules of the key management domain: no I/O, no wire formats, no cryptography."""
