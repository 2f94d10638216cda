"""Entry points on top of the optimizer: the `dispatch` command line (and, later, the HTTP API).

Kept import-light on purpose: importing `api` must not pull in FastAPI or OR-Tools.
"""
