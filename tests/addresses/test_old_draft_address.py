"""A draft saved before the address question was register-backed (A9) holds the address as
plain text: reopened, it opens, shows the old text, and asks the person to pick the address
from the register, in their language; nothing is lost until they choose."""

from __future__ import annotations

from django.utils import timezone

from durvis.eforms.models import Application
from tests.addresses.test_eform_address import _post, started  # noqa: F401

OLD = "Barona 1, Rīgā (pie veikala)"


def _old_draft():
    application = Application.objects.get()
    application.answers = {**application.answers, "address": OLD}
    application.changed_at = timezone.now()
    application.save(update_fields=["answers", "changed_at"])
    return application


def test_an_old_drafts_text_address_opens_and_asks_for_the_register(started):  # noqa: F811
    client, url = started
    _old_draft()
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200, html[:3000]
    assert f'value="{OLD}"' in html
    assert "Lūdzu, izvēlieties to no Valsts adrešu reģistra" in html
    assert Application.objects.get().answers["address"] == OLD  # nothing lost by reading
    english = client.get("/en" + url).content.decode()
    assert "pick it from the State Address Register" in english
    # Saving the page without a choice is refused at the question, the old text kept.
    kept = _post(client, url, address=OLD)
    assert kept.status_code == 422
    assert Application.objects.get().answers["address"] == OLD



def test_the_check_page_shows_the_old_text_and_sends_back_to_pick_it(started):  # noqa: F811
    client, url = started
    application = _old_draft()
    application.pages_done = ["home"]
    application.save(update_fields=["pages_done"])
    check = url.rsplit("/", 2)[0] + "/check/"
    page = client.get(check)
    assert page.status_code == 200 and OLD in page.content.decode()
    refused = client.post(check, {"result_channel": "eaccount", "declaration": "yes",
                                  "opened_as": "self", "version": application.version})
    assert refused.status_code == 422 and url in refused.content.decode()
    assert Application.objects.get().answers["address"] == OLD
