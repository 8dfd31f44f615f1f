"""Public catalogue pages (A1) through HTTP, in Latvian and English."""

import pytest


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status
    return response.content.decode()


def test_home_in_both_languages(client, catalogue):
    lv = page(client, "/")
    assert '<html lang="lv"' in lv and "Ģimene un bērni" in lv and "Bērna piedzimšana" in lv
    en = page(client, "/en/")
    assert '<html lang="en"' in en and "Family and children" in en
    assert 'href="/en/"' in lv and 'href="/"' in en  # the language switch


def test_search_page(client, catalogue):
    html = page(client, "/services/?q=berna+pabalsts")
    assert "Bērna piedzimšanas pabalsts" in html
    assert "Gada ienākumu deklarācija" not in html
    english = page(client, "/en/services/?q=childbirth")
    assert "Childbirth benefit" in english
    assert 'href="/services/?q=childbirth"' in english  # switching keeps the search


def test_no_result_is_said_in_a_sentence_of_its_own(client, catalogue):
    """Zero is no plural form in Latvian ("Atrasti 0 pakalpojumi"): nothing found is said so."""
    assert "Neviens pakalpojums nav atrasts" in page(client, "/services/?q=zzzqqqxxx")
    assert "No service found" in page(client, "/en/services/?q=zzzqqqxxx")
    assert "Atrasti 0" not in page(client, "/services/?q=zzzqqqxxx")


def test_search_htmx_returns_only_results(client, catalogue):
    response = client.get("/services/?q=pabalsts", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="results"' in html and "<html" not in html


def test_holder_filter(client, catalogue):
    html = page(client, "/services/?holder=VID")
    assert "Gada ienākumu deklarācija" in html and "Bērna piedzimšanas pabalsts" not in html


def test_browse_category_and_life_situation(client, catalogue):
    assert "Bērna piedzimšanas pabalsts" in page(client, "/categories/family/")
    situation = page(client, "/en/life-situations/birth-of-a-child/")
    assert "Childbirth benefit" in situation and "Kindergarten queue registration" in situation
    page(client, "/categories/no-such/", status=404)


def test_service_page(client, catalogue):
    html = page(client, "/en/services/1011/")
    assert "Childbirth benefit" in html and "1011" in html
    assert "State Social Insurance Agency" in html


@pytest.mark.parametrize("code", [1099, 1201, 4242])
def test_draft_internal_and_missing_services_are_not_found(client, catalogue, code):
    page(client, f"/services/{code}/", status=404)


def test_internal_service_page_for_staff(client, catalogue, staff, staff_login):
    client.force_login(staff["agent"].user)
    assert client.get("/services/1201/").status_code == 404  # no second factor: not staff yet
    staff_login(client, staff["agent"])
    assert "Piekļuves tiesību pieprasījums" in page(client, "/services/1201/")


def test_embed_page_and_script(client, catalogue):
    response = client.get("/embed/?q=pabalsts")
    assert "X-Frame-Options" not in response
    assert 'target="_top"' in response.content.decode()
    assert client.get("/").headers["X-Frame-Options"] == "DENY"
    script = client.get("/embed.js")
    assert script["Content-Type"].startswith("text/javascript")
    assert "http://testserver/embed/" in script.content.decode()


def test_health_endpoints(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["database"] == "ok"


@pytest.mark.parametrize("params", ["holder=%00", "holder=" + "X" * 300, "q=%00%00", "page=abc",
                                    "page=999999", "q=" + "ā" * 500])
def test_odd_parameters_never_break_the_search_page(client, catalogue, params):
    assert client.get(f"/services/?{params}").status_code == 200


@pytest.mark.parametrize(("script", "frame"), [
    ("/embed.js", "http://testserver/embed/"),
    ("/en/embed.js", "http://testserver/embed/"),
    ("/embed/addresses.js", "http://testserver/embed/addresses/"),
    ("/en/embed/addresses.js", "http://testserver/embed/addresses/"),
])
def test_an_embed_script_frames_its_own_language_and_prefixes_it_once(client, db, script, frame):
    """The English page tells portals to use `/en/…js` with `data-lang="en"`: the frame was
    `/en/en/embed/…` (a 404 in their page). The script's own language is the default."""
    code = client.get(script).content.decode()
    assert f'var url = "{frame}";' in code
    assert '"/en/en/' not in code and "testserver/en/" not in code
    assert f'|| "{"en" if script.startswith("/en/") else "lv"}"' in code
