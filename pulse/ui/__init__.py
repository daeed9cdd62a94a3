"""The dashboard's Streamlit layer: the only package that imports streamlit."""

# Imported whole before any page draws. Streamlit runs each session's script in a thread of its own, and plotly's
# JSON encoder looks pandas up in sys.modules without importing it: a chart drawn while another session was still
# importing pandas (for its first table) met a half-made module ("partially initialized module 'pandas' has no
# attribute 'NaT'"), and 5 of 10 first visitors after a restart got an error. Every page imports this package
# (importing any of its modules imports the package first) before it draws anything, so the first session imports
# these here, whole, and the others wait at this package's import lock until it has.
import numpy  # noqa: F401, I001
import pandas  # noqa: F401
import pyarrow  # noqa: F401
