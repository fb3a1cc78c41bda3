"""``python -m flows``: the ``wiredupe`` command line."""

from flows.cli import main

main()
