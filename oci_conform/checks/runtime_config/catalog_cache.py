"""The runtime-spec part of the clause catalog, loaded fast.

The runtime commands need only the runtime-spec clauses; they come through the catalog
cache (``oci_conform/catalog/cache.py``) as an entry of their own, labelled
``runtime-spec``, with the same exact invalidation as the whole catalog's entry.
"""
from __future__ import annotations

from functools import lru_cache

from oci_conform.catalog.cache import cache_key, cached_catalog
from oci_conform.catalog.loader import DATA_DIR, SPECS_FILE, Catalog

SPEC_DIR = DATA_DIR / "runtime-spec"
LABEL = "runtime-spec"


def entry_key() -> str:
    """The key the runtime-spec entry is stored under now."""
    return cache_key(SPEC_DIR, SPECS_FILE)


@lru_cache(maxsize=1)
def runtime_catalog() -> Catalog:
    """The catalog restricted to runtime-spec (raises CatalogError like load_catalog)."""
    return cached_catalog(SPEC_DIR, SPECS_FILE, LABEL)
