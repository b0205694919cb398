"""python -m voronka.cli: the same as the `voronka` command."""

from voronka.cli import main

main()
