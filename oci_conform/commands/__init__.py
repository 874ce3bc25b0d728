"""Subcommands of ``oci-conform``: each module's ``register(subparsers)`` adds one."""
