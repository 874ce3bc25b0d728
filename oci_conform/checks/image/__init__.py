"""Pure checks of OCI image documents, blobs and layers (no I/O beyond the streams given)."""
