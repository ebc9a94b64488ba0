"""The core service: the one API every protocol adapter calls. It knows no wire format."""
