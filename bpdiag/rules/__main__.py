"""``python -m bpdiag.rules`` prints docs/rules.md."""

from bpdiag.rules import catalogue_markdown

print(catalogue_markdown(), end="")
