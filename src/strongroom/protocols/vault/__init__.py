"""The HashiCorp Vault HTTP API (``/v1/``): sys, token auth and the Transit secrets engine."""
