"""Benchmark tooling for hubdir: a synthetic registry generator and the scale benchmark (issue 7)."""
