"""Reference implementations bundled with oci-conform (registry; runtime to come)."""
