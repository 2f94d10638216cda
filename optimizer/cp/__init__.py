"""The CP-SAT model of (a part of) the dispatch problem: variables, constraint families,
objective, and the conversion of a CP-SAT answer back into a `Solution`."""
