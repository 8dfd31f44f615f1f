"""An unexpected exception (part of issue 10): pages answer the project's own 500 page, in the
design system's shell and the page's language, rendered without a database or a request; under
/api/ the answer is the API's one JSON error body. Django logs the exception either way."""

from __future__ import annotations

import logging

import pytest
from django.template import loader
from django.test import Client
from django.utils import translation

from durvis.catalog import queries as catalog_queries


class Broken(RuntimeError):
    pass


@pytest.fixture
def broken_search(monkeypatch):
    """The catalogue's search fails the way a bug does: with an exception nobody expected."""
    def fail(*args, **kwargs):
        raise Broken("a bug in the search")

    monkeypatch.setattr(catalog_queries, "find_services", fail)


@pytest.fixture
def browser():
    """A client that gets the response a browser would, not the exception."""
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("prefix, language, heading", [
    ("", "lv", "Atvainojiet, pakalpojumā radusies kļūda"),
    ("/en", "en", "Sorry, there is a problem with the service"),
])
def test_a_page_that_fails_answers_the_projects_500_page(browser, broken_search, db, caplog,
                                                         prefix, language, heading):
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = browser.get(f"{prefix}/services/?q=pabalsts")
    assert response.status_code == 500
    page = response.content.decode()
    assert f'<html lang="{language}"' in page and f"<h1 class=\"govuk-heading-xl\">{heading}</h1>" in page
    assert 'href="/static/css/durvis.css"' in page and 'class="govuk-header' in page
    assert f'href="{prefix}/contacts/"' in page
    assert "Traceback" not in page and "a bug in the search" not in page
    assert any(r.exc_info and r.exc_info[0] is Broken for r in caplog.records)


def test_the_500_page_renders_without_a_database_or_a_request():
    """Django's `server_error` renders it with no context at all; no `db` fixture here, so a
    query would fail the test."""
    page = loader.get_template("500.html").render()
    assert '<html lang="lv"' in page and "Atvainojiet, pakalpojumā radusies kļūda" in page
    with translation.override("en"):
        assert "Please try again later." in loader.get_template("500.html").render()


def test_an_api_endpoint_that_fails_answers_the_json_error_body(browser, broken_search, db,
                                                                caplog):
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = browser.get("/api/v1/services?q=pabalsts")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": [{
        "loc": [], "type": "server_error",
        "msg": "The server failed to answer this request. It has been logged; please try "
               "again later."}]}
    assert any(r.exc_info and r.exc_info[0] is Broken for r in caplog.records)
