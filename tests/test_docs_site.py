"""The headless-browser check of the documentation site (docs/check_site.py)."""

import importlib.util
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location(
    "check_site", Path(__file__).resolve().parent.parent / "docs" / "check_site.py")
check_site = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(check_site)

EXPECTED = {"title": "skdeepclust", "text": ["DPACClusterer"], "table": True,
            "min_images": 1}
GOOD = ('<html data-images="2" data-images-loaded="2"><head><title>skdeepclust 0.1.0'
        '</title></head><body><table><tr><td>DPACClusterer</td></tr></table>'
        '<img src="a.png"><img src="b.png"></body></html>')


def test_a_rendered_page_passes():
    assert check_site.check_page(GOOD, EXPECTED) == []


@pytest.mark.parametrize("change, problem", [
    (("skdeepclust 0.1.0", "Other"), "title"),
    (("<table>", "<div>"), "no table"),
    (('data-images-loaded="2"', 'data-images-loaded="1"'), "1 of 2 images loaded"),
    ((' data-images="2" data-images-loaded="2"', ""), "load event"),
    (('data-images="2" data-images-loaded="2"', 'data-images="0" data-images-loaded="0"'),
     "expected at least 1"),
])
def test_each_broken_part_is_reported(change, problem):
    problems = check_site.check_page(GOOD.replace(*change), EXPECTED)
    assert any(problem in p for p in problems), problems


def test_the_pages_checked_exist_in_the_docs_sources():
    docs = Path(check_site.__file__).resolve().parent
    assert (docs / "index.rst").exists()
    assert "DPACClusterer" in (docs / "api.rst").read_text()
    examples = docs.parent / "examples"
    for page in check_site.PAGES:
        if page.startswith("auto_examples/"):
            assert (examples / Path(page).with_suffix(".py").name).exists(), page
