"""Connectors that fetch campaign data from outside services into the data contract's shapes."""
