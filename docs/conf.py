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
# Furo: the theme of much of the Python world's documentation (pip, attrs,
# urllib3...), readable on a phone, with a light and a dark mode and a
# sidebar that shows where a page sits among tutorial, how-to guides,
# reference and explanation.
html_theme = "furo"
