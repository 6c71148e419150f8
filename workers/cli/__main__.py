"""`python -m workers.cli`: the `iom` command line (how `iom up` starts its children)."""

from workers.cli import main

main()
