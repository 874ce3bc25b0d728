"""Pure checks of Docker image formats: Manifest V2 (schema 2, lists, schema 1), image JSON,
and `docker save` archives."""
