"""One router per resource: plans, versions, recommendations, checks, keys, health."""
