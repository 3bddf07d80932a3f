"""Run the command line: ``python -m geo --help``."""

import sys

from geo.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
