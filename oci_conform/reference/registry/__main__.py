"""``python -m oci_conform.reference.registry``."""
import sys

from oci_conform.reference.registry.cli import main

sys.exit(main())
