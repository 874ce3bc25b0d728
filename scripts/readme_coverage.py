#!/usr/bin/env python3
"""Put the output of `oci-conform clauses --coverage` into README.md (between markers)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

START, END = "<!-- coverage:start -->", "<!-- coverage:end -->"


def main() -> int:
    readme = Path(__file__).resolve().parents[1] / "README.md"
    table = subprocess.run([sys.executable, "-m", "oci_conform", "clauses", "--coverage"],
                           capture_output=True, text=True, check=True).stdout.strip()
    text = readme.read_text()
    block = f"{START}\n\n{table}\n\n{END}"
    if START in text:
        text = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _m: block, text,
                      flags=re.S)
    else:
        text = text.replace("COVERAGE-TABLE", block)
    readme.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
