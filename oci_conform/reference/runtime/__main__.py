import sys

from oci_conform.reference.runtime.cli import main

sys.exit(main())
