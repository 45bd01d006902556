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

# luggage's API reference, rendered from its docstrings (epytext, as
# Twisted's own) by pydoctor, Twisted's documentation tool, into api/ of
# this build: any warning it prints is a Sphinx warning, so an error under
# -W, as everywhere else. Its inventory is local: no network.
import pathlib  # noqa: E402

_ROOT = pathlib.Path(__file__).resolve().parents[1]
extensions += ["sphinx.ext.intersphinx", "pydoctor.sphinx_ext.build_apidocs"]
intersphinx_mapping: dict[str, object] = {}
pydoctor_args = [
    "--quiet",
    "--html-output={outdir}/api",
    "--project-name=luggage (txluggage and txluggage-tools)",
    "--docformat=epytext",
    f"--project-base-dir={_ROOT}",
    str(_ROOT / "luggage" / "src" / "luggage"),
    str(_ROOT / "luggage-tools" / "src" / "luggage_tools"),
]
pydoctor_url_path = "api/"
