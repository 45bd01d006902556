"""Sphinx configuration for boredbot's documentation."""

project = "boredbot"
author = "the boredbot developers"
copyright = "2026, the boredbot developers"
# Diagrams are drawn at build time by Graphviz's dot (Debian's graphviz
# package; tools/install-test-deps installs it), as SVG: no network, no
# image committed.
extensions: list[str] = ["sphinx.ext.graphviz"]
graphviz_output_format = "svg"
exclude_patterns = ["_build"]
html_theme = "alabaster"
