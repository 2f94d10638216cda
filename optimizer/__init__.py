"""The optimizer: CP-SAT search, the solver-free evaluator, and re-planning."""
