"""Metrics: pure polars functions over the loaded data, one module per subject."""
