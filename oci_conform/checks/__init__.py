"""Pure checks: documents and streams in, findings out."""
