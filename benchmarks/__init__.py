"""Published benchmarks as contract problems: readers, best-known solutions, runs and reports.

Suites: Pillac's technician routing problem (`trsp`), Solomon's VRPTW with distances truncated to
one decimal (`solomon`) or ranked by vehicles then exact distance (`solomon-hier`), and the
200-customer Gehring-Homberger VRPTW, hierarchical (`gh200`).
"""
