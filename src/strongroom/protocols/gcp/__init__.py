"""The Google Cloud KMS REST API (v1) and Google's OAuth 2.0 token endpoint, over the core."""
