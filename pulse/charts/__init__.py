"""Charts: plotly figures built from metrics' frames; one theme, one module per subject.

A builder takes data first and plain choices after, calls plotly express, adjusts the figure and returns it.
"""
