"""The ``strongroom`` command line."""
