"""The trace: validation, need items, results, coverage, review, drift."""
