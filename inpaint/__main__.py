"""``python -m inpaint``: the command line (see ``inpaint.cli``).

``python -m inpaint.server`` (the local server) is a separate entry point.
"""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
