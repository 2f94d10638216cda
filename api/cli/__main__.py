"""`python -m api.cli`: the `dispatch` command line."""

from api.cli import main

main()
