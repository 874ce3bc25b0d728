"""The canonical results document as JSON."""
from __future__ import annotations

import json

from oci_conform.model.results import Results

FORMAT = "json"


def render(results: Results) -> str:
    return json.dumps(results.to_dict(), indent=1, ensure_ascii=False) + "\n"
