"""``python -m r2k.runner`` is the ``r2k`` command."""

from r2k.runner.cli import main

main()
