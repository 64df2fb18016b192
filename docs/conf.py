"""Sphinx configuration of the skdeepclust documentation site.

Built by ``make docs`` (warnings are errors); ``make docs-check`` also opens
the built pages in headless Chromium (``docs/check_site.py``).
"""

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# the gallery trains small torch models on the CPU: one thread is fastest on a
# shared 2-core machine and keeps the build reproducible
os.environ.setdefault("OMP_NUM_THREADS", "1")

import skdeepclust  # noqa: E402

project = "skdeepclust"
author = "The skdeepclust developers"
copyright = "2026, The skdeepclust developers"
version = release = skdeepclust.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "ARCHITECTURE.md", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip", "**.codeobj.json"]

templates_path = ["_templates"]
autosummary_generate = True
autodoc_default_options = {"members": False, "inherited-members": False}
# numpydoc renders the Parameters/Attributes/Notes sections; the methods are
# listed by numpydoc's own member table
numpydoc_show_class_members = True
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

myst_heading_anchors = 3

html_theme = "pydata_sphinx_theme"
html_title = f"skdeepclust {release}"
html_static_path = ["_static"]
html_js_files = ["images_loaded.js"]
html_theme_options = {
    "navbar_end": ["navbar-icon-links"],
    "show_prev_next": False,
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_sidebars = {"index": [], "install": [], "quickstart": []}

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    # scripts named plot_*.py run at build time (small CPU budgets); the
    # others (the demo, GPU settings) are shown without running
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "show_memory": False,
    "within_subsection_order": "FileNameSortKey",
}
