"""The server process: configuration, wiring, the HTTP transport, TLS and worker processes."""
