"""The oci-conform fuzz campaign: generators, mutators, a watchdog worker and the run loop.

Kept outside ``oci_conform/`` on purpose: it drives the project the way a user does (its
command-line entry points, its servers) and is no part of what ships.
"""
