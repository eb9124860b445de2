#!/usr/bin/env python3
"""Build the site: `python build.py [--articles DIR] [--out DIR] [--config FILE] [--build-date DAY] [--strict]`.

The same as `digest build`, flags included.
"""

import sys

from digest.cli import run

if __name__ == "__main__":
    run(["build", *sys.argv[1:]])
