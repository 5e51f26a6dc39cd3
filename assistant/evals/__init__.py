"""Evals: gold facts through the pipeline, reports and diffs, and the feedback store."""
