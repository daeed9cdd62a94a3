"""Datasets: contracts, reading within budgets, validation, the store, loading, ingest and export."""
