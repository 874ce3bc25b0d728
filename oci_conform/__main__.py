"""``python -m oci_conform``."""
import sys

from oci_conform.cli import run

sys.exit(run())
