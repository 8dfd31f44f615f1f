"""The "page not found" page (issue 16's findings): the staff's areas (the workplace, /staff/,
and the administration, /administration/) have their own wording and a way back to the
workplace; a citizen's page keeps the catalogue's, in both languages."""

import pytest

pytestmark = pytest.mark.django_db

STAFF = {"lv": ("Darba vietā vai administrēšanā tādas lapas nav", "Atvērt darba vietu"),
         "en": ("There is no such page in the workplace or the administration",
                "Go to the workplace")}
CITIZEN = {"lv": ("Šajā adresē lapas nav", "Meklēt pakalpojumus"),
           "en": ("There is no page at this address", "Search the services")}


@pytest.mark.parametrize("language", ["lv", "en"])
@pytest.mark.parametrize("path", ["staff/nav-tadas-lapas/", "administration/nav-tadas/",
                                  "staff/cases/999999999/"])
def test_a_missing_staff_page_speaks_to_staff(client, staff_login, staff, language, path):
    staff_login(client, staff["vsaa_admin"])
    prefix = "/" if language == "lv" else "/en/"
    response = client.get(prefix + path)
    page = response.content.decode()
    assert response.status_code == 404
    assert all(text in page for text in STAFF[language]), page
    assert not any(text in page for text in CITIZEN[language])


@pytest.mark.parametrize("language", ["lv", "en"])
@pytest.mark.parametrize("path", ["nav-tadas-lapas/", "services/999999/", "staffing/"])
def test_a_missing_citizens_page_keeps_the_catalogues_wording(client, language, path):
    prefix = "/" if language == "lv" else "/en/"
    response = client.get(prefix + path)
    page = response.content.decode()
    assert response.status_code == 404
    assert all(text in page for text in CITIZEN[language]), page
    assert not any(text in page for text in STAFF[language])
