#!/usr/bin/env python
"""Django's manage.py; `voronka` (the console script) does the same."""

import sys

from voronka.cli import main

if __name__ == "__main__":
    main(sys.argv)
