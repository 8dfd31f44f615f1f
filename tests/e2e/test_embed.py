"""The embeddable catalogue search (A1): another portal's page includes `embed.js`, which puts the
search in a frame; only that frame may be framed."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from .axe import assert_accessible

HOST_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>A municipality's portal</title></head>
<body>
  <main>
    <h1>Services of our municipality</h1>
    <script src="{script}" data-lang="en"></script>
  </main>
</body>
</html>
"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def portal(tmp_path, live_server) -> Iterator[str]:
    """Another site (another origin: 127.0.0.1 and its own port) whose page embeds the search."""
    (tmp_path / "index.html").write_text(
        HOST_PAGE.format(script=f"{live_server.url}/embed.js"), encoding="utf-8"
    )
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(tmp_path))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_embed_script_frames_the_search_on_another_site(live_server, catalogue, page, portal):
    page.goto(portal)
    iframe = page.locator("iframe")
    expect(iframe).to_have_count(1)
    expect(iframe).to_have_attribute("src", f"{live_server.url}/en/embed/")
    expect(iframe).to_have_attribute("title", "Search for a public service")

    frame = page.frame_locator("iframe")
    form = frame.get_by_role("search")
    expect(form).to_be_visible()
    expect(frame.locator("html")).to_have_attribute("lang", "en")
    box = form.get_by_role("searchbox", name="Search for a service")
    expect(box).to_be_visible()

    # The search works inside the frame, and its results open in the portal's window.
    box.fill("childbirth")
    box.press("Enter")
    result = frame.get_by_role("link", name="Childbirth benefit", exact=True)
    expect(result).to_be_visible()
    expect(result).to_have_attribute("target", "_top")
    assert page.url == portal  # the frame navigated, not the portal
    assert_accessible(page, "the portal page with the framed search")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/embed/", "/embed/?q=pabalsts", "/en/embed/"])
def test_embed_page_may_be_framed(client, catalogue, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers


@pytest.mark.django_db
@pytest.mark.parametrize("path", [
    "/", "/en/", "/services/", "/services/?q=pabalsts", "/services/1011/", "/en/services/1011/",
    "/categories/family/", "/life-situations/birth-of-a-child/", "/staff/login/",
    "/services/999999/",
])
def test_other_pages_may_not_be_framed(client, catalogue, path):
    response = client.get(path)
    assert response.status_code in (200, 404)
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_embed_script_points_at_this_site(client, settings):
    settings.ALLOWED_HOSTS = ["catalogue.example.lv"]
    response = client.get("/embed.js", HTTP_HOST="catalogue.example.lv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert "http://catalogue.example.lv/embed/" in response.content.decode().replace("\\u002D", "-")
