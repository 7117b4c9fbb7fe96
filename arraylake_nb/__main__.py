"""``python -m arraylake_nb``: the ``arraylake-nb`` command line (see :mod:`arraylake_nb.cli`)."""

from __future__ import annotations

import sys

from arraylake_nb.cli import main

if __name__ == "__main__":
    sys.exit(main())
