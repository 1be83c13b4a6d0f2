"""The check engine: check types, their registry, and the runner. Families live in the top-level checks/."""
