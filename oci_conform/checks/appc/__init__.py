"""Pure checks of appc App Container Images (ACI): archive layout and image manifest."""

# Every appc clause id the checks in this package judge.
JUDGED = frozenset(
    [f"appc.aci.{n}" for n in ("archive.compression", "archive.suffix", "archive.tar",
                                "archive.top-level", "image-id", "manifest.json")]
    + [f"appc.manifest.{n}" for n in (
        "ac-kind", "ac-version", "annotations", "app", "app-environment", "app-event-handlers",
        "app-isolators", "app-mount-points", "app-ports", "app-working-directory",
        "dependencies", "labels", "name", "os-arch", "path-whitelist")])
