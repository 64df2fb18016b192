"""Open the built site in headless Chromium and check that pages render.

    python docs/check_site.py docs/_build/html

Serves the build folder over HTTP on a free local port, loads the index page,
one API page and one gallery page with ``chromium --headless --dump-dom``
(after the page's load event: ``_static/images_loaded.js`` marks how many
images loaded), and checks the title, the table of estimators and that every
image of the page loaded. Exits 1 on a failed check, 0 when all pass; when no
Chromium can be found or installed it says so and exits 0 (the build itself,
with warnings as errors, has already passed).
"""

import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

PAGES = {
    "index.html": {"title": "skdeepclust", "text": ["DPACClusterer", "SphericalKMeans"],
                   "table": True, "min_images": 1},
    "generated/skdeepclust.DPACClusterer.html": {
        "title": "DPACClusterer", "text": ["pretrain_epochs", "References"],
        "table": False, "min_images": 0},
    "auto_examples/plot_cluster_grid.html": {
        "title": "Clusters of handwritten digits", "text": ["ACC"], "table": False,
        "min_images": 1},
}


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def install_chromium():
    """Debian's chromium package (needs root and the package registry)."""
    if shutil.which("apt-get") is None:
        return None
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                     "chromium"]):
        if subprocess.run(command, stdout=subprocess.DEVNULL).returncode != 0:
            return None
    return find_chromium()


def dump_dom(chromium, url):
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-dev-shm-usage", "--virtual-time-budget=15000", "--dump-dom", url]
    return subprocess.run(command, capture_output=True, text=True, timeout=120).stdout


def check_page(dom, expected):
    problems = []
    title = re.search(r"<title>(.*?)</title>", dom, re.S)
    if not title or expected["title"] not in title.group(1):
        problems.append(f"title {title.group(1) if title else None!r} lacks "
                        f"{expected['title']!r}")
    for text in expected["text"]:
        if text not in dom:
            problems.append(f"{text!r} not in the page")
    if expected["table"] and not re.search(r"<table.*?DPACClusterer.*?</table>", dom, re.S):
        problems.append("no table of the estimators")
    images = re.search(r'data-images="(\d+)"', dom)
    loaded = re.search(r'data-images-loaded="(\d+)"', dom)
    if not images or not loaded:
        problems.append("the page's load event did not run (no data-images mark)")
    elif int(loaded.group(1)) != int(images.group(1)):
        problems.append(f"{loaded.group(1)} of {images.group(1)} images loaded")
    elif int(loaded.group(1)) < expected["min_images"]:
        problems.append(f"{loaded.group(1)} images, expected at least "
                        f"{expected['min_images']}")
    return problems


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def main(site):
    site = Path(site).resolve()
    missing = [page for page in PAGES if not (site / page).exists()]
    if missing:
        print(f"check_site: pages not built: {missing}")
        return 1
    chromium = find_chromium() or install_chromium()
    if chromium is None:
        print("check_site: SKIPPED, no Chromium found and none could be installed "
              "(apt-get install chromium)")
        return 0
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    failures = 0
    try:
        for page, expected in PAGES.items():
            url = f"http://127.0.0.1:{server.server_port}/{page}"
            problems = check_page(dump_dom(chromium, url), expected)
            print(f"check_site: {page}: " + ("ok" if not problems else "; ".join(problems)))
            failures += bool(problems)
    finally:
        server.shutdown()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/_build/html"))
