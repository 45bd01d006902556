"""Sphinx configuration for boredbot's documentation."""

project = "boredbot"
author = "the boredbot developers"
copyright = "2026, the boredbot developers"
extensions: list[str] = []
exclude_patterns = ["_build"]
html_theme = "alabaster"
