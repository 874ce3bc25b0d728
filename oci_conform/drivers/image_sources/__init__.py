"""Where image bytes come from: an OCI layout folder, a tar archive, or a registry."""
