"""``python -m oci_conform``."""
import sys

from oci_conform.cli import main

sys.exit(main())
