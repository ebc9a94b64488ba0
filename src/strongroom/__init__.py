"""Strongroom: a self-hosted key management service that speaks the AWS KMS API."""

__version__ = "0.1.0"
