"""Renewal-rate analytics: typed frames loaded from the records, and pure pandas functions.

Reads, never writes. `frames` is the only module that touches the database; every
other module takes DataFrames in and gives DataFrames out, so each can be tested on a
handful of hand-built rows.
"""
