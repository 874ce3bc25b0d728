"""I/O drivers: runtimes, registries, image sources."""
