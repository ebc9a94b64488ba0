"""The AWS KMS adapter: JSON 1.1 over HTTP, SigV4-authenticated."""
