// Marks the page once every image has loaded, so that a headless browser can
// check that pictures render (docs/check_site.py reads the attribute).
window.addEventListener("load", function () {
  const images = Array.from(document.images);
  const loaded = images.filter((img) => img.complete && img.naturalWidth > 0);
  document.documentElement.setAttribute("data-images", String(images.length));
  document.documentElement.setAttribute("data-images-loaded", String(loaded.length));
});
