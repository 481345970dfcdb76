"""Batch analysis: thousands of captures at once, on a Dask cluster (``bpdiag batch``).

``rows`` turns one file into table rows (pure, no Dask); ``runner`` finds the files, sends
them to a ``distributed`` cluster in chunks, and writes the rows to Parquet as they arrive.
The rows are taken from the same ``analyze --json`` document a single capture gives, so a
batch can never disagree with ``bpdiag analyze``. Needs the ``bpdiag[batch]`` extra.
"""
