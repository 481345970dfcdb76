"""``python -m bpdiag``."""

from bpdiag.cli import main

main()
