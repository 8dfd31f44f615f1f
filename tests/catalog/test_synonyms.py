"""The search's synonyms (issue 19, A1, A13): the catalogue's central editor keeps them on a page
under /administration/; a change is audited and counts in the next search; others are refused;
bad input is named at its field in the editor's language and nothing is stored."""

import pytest
from django.core.exceptions import ValidationError

from durvis.access.policy import decide
from durvis.audit.models import AuditEvent
from durvis.catalog import services as catalog
from durvis.catalog.rules import CatalogAction
from durvis.core.actor import Actor
from durvis.demo.loader import load_catalogue
from durvis.identity import services as identity
from durvis.search.models import Synonyms

pytestmark = pytest.mark.django_db
PAGE = "/en/administration/search/synonyms/"


@pytest.fixture
def editor(institutions):
    return identity.record_staff(username="editor.vdaa", password="pw-editor.vdaa-long-enough",
                                 institution=institutions["VDAA"], roles=["knowledge_editor"])


def test_only_the_central_editor_and_the_operators_platform_admin_keep_them(editor, staff,
                                                                             institutions):
    vsaa_editor = identity.record_staff(username="editor.vsaa", password="pw-editor.vsaa-long-x",
                                        institution=institutions["VSAA"],
                                        roles=["knowledge_editor"])
    may = {name: decide(Actor(kind="staff", staff=member), CatalogAction.MANAGE_SYNONYMS, None).allowed
           for name, member in [("editor", editor), ("platform", staff["platform"]),
                                ("vsaa_admin", staff["vsaa_admin"]), ("agent", staff["agent"]),
                                ("vsaa_editor", vsaa_editor)]}
    assert may == {"editor": True, "platform": True, "vsaa_admin": False, "agent": False,
                   "vsaa_editor": False}


def test_the_editor_adds_changes_and_removes_a_group_and_the_next_search_uses_it(
        client, editor, staff_login, catalogue):
    assert "Childbirth benefit" not in client.get("/en/services/", {"q": "newborn"}).content.decode()
    admin = staff_login(client, editor)
    assert admin.get(PAGE).status_code == 200
    added = admin.post(PAGE, {"language": "en", "words": "newborn\n childbirth \n\nnewborn"},
                       follow=True)
    assert added.redirect_chain == [(PAGE, 302)]
    assert "newborn = childbirth" in added.content.decode()
    group = Synonyms.objects.get()
    assert group.term_list == ["newborn", "childbirth"]
    found = client.get("/en/services/", {"q": "newborn"}).content.decode()
    assert "Childbirth benefit" in found and 'id="partial-match"' not in found
    edit = f"{PAGE}{group.pk}/"
    changed = admin.post(edit, {"language": "en", "words": "newborn\nkindergarten",
                                "version": group.version}, follow=True)
    assert changed.redirect_chain == [(PAGE, 302)]
    found = client.get("/en/services/", {"q": "newborn"}).content.decode()
    assert "Kindergarten queue registration" in found and "Childbirth benefit" not in found
    asked = admin.post(edit, {"remove": "1"})  # a page asks first; nothing is removed yet
    assert asked.status_code == 200 and "Remove these synonyms?" in asked.content.decode()
    assert Synonyms.objects.exists()
    admin.post(edit, {"remove": "1", "confirmed": "1"})
    assert not Synonyms.objects.exists()
    assert list(AuditEvent.objects.filter(action__startswith="catalog.synonyms.")
                .order_by("pk").values_list("action", flat=True)) == [
        "catalog.synonyms.create", "catalog.synonyms.update", "catalog.synonyms.delete"]


@pytest.mark.parametrize("words, said", [
    ("alone", "at least two"),
    ("alone", "separated by a new line or by / = ; |"),  # not "one a line": / = ; | split too
    ("\n".join(f"word{n}" for n in range(21)), "at most 20"),
    ("ok\n" + "x" * 101, "at most 100"),
    ("ok\n- -", "no word a search can match"),
    ("un\npar", "only little words"),
    ("bēres\nthe", "only little words a search leaves out (such as un, par, the): the."),
])
def test_bad_groups_are_named_and_nothing_is_stored(client, editor, staff_login, words, said):
    page = staff_login(client, editor).post(PAGE, {"language": "lv", "words": words})
    assert page.status_code == 422 and said in page.content.decode()
    assert not Synonyms.objects.exists()


def test_the_errors_are_said_in_latvian(client, editor, staff_login):
    page = staff_login(client, editor).post("/administration/search/synonyms/",
                                            {"language": "xx", "words": "viens"})
    assert page.status_code == 422 and "Izvēlieties" in page.content.decode()


def test_a_stale_edit_saves_nothing(client, editor, staff_login):
    group = catalog.save_synonyms(Actor(kind="staff", staff=editor), None, language="lv",
                                  words=["īre", "noma"])
    catalog.save_synonyms(Actor(kind="staff", staff=editor), group, language="lv",
                          words=["īre", "noma", "nomāt"], version=group.version)
    page = staff_login(client, editor).post(f"{PAGE}{group.pk}/", {
        "language": "lv", "words": "īre\nīrēt", "version": group.version})
    assert page.status_code == 422 and "Someone changed these synonyms" in page.content.decode()
    assert Synonyms.objects.get().term_list == ["īre", "noma", "nomāt"]


def test_others_are_refused(client, staff, staff_login):
    admin = staff_login(client, staff["vsaa_admin"])
    assert admin.get(PAGE).status_code == 403
    assert admin.post(PAGE, {"language": "lv", "words": "a\nb"}).status_code == 403
    assert not Synonyms.objects.exists()


def test_words_the_search_reads_alike_are_one_and_a_copy_of_a_group_is_refused(editor):
    """A fresh tester saved "Pase / pase " as a group of two and an exact copy of an existing
    group; "pase / pase" was told to give two words."""
    from django.core.exceptions import ValidationError

    me = Actor(kind="staff", staff=editor)
    for words in (["Pase", "pase "], ["pase", "pases"]):
        with pytest.raises(ValidationError) as refused:
            catalog.save_synonyms(me, None, language="lv", words=words)
        assert "atšķiras tikai ar lielajiem burtiem vai galotni" in str(refused.value)
    group = catalog.save_synonyms(me, None, language="lv", words=["bēres", "apbedīšana"])
    with pytest.raises(ValidationError) as copied:
        catalog.save_synonyms(me, None, language="lv", words=["Apbedīšana", "bēres"])
    assert "bēres = apbedīšana" in str(copied.value)
    assert Synonyms.objects.count() == 1
    assert catalog.save_synonyms(me, group, language="lv",
                                 words=["bēres", "apbedīšana", "Bēres"]).term_list == [
        "bēres", "apbedīšana"]  # its own group is not "the same"; a repeat is dropped


def test_a_group_s_page_shows_what_each_word_finds_by_itself(client, editor, staff_login):
    load_catalogue()
    group = catalog.save_synonyms(Actor(kind="staff", staff=editor), None, language="lv",
                                  words=["kapsēta", "apbedīšanas pabalsts"])
    page = staff_login(client, editor).get(f"{PAGE}{group.pk}/").content.decode()
    preview = page.split('id="preview"')[1]
    assert ">1008 Funeral benefit<" in preview
    assert "Nothing: this word finds services only through the others." in preview


def _refusal(editor, words, language="lv"):
    with pytest.raises(ValidationError) as refused:
        catalog.save_synonyms(Actor(kind="staff", staff=editor), None, language=language,
                              words=words)
    return " ".join(refused.value.message_dict["words"])


def test_a_line_with_slashes_is_split_into_its_words(editor):
    """Issue 19's review: "tax return / income declaration" on one line was one phrase."""
    group = catalog.save_synonyms(Actor(kind="staff", staff=editor), None, language="en",
                                  words=["tax return / income declaration", "annual return"])
    assert group.term_list == ["tax return", "income declaration", "annual return"]
    # "un / par" is two little words, refused as such (not as one phrase)
    assert "un, par" in _refusal(editor, ["un / par"])


def test_markup_is_refused_naming_the_word(editor):
    message = _refusal(editor, ["<b>pase</b>", "pase"])
    assert "<b>pase</b>" in message and "iezīmēšana" in message


def test_a_word_of_another_group_is_refused_naming_that_group(editor):
    actor = Actor(kind="staff", staff=editor)
    catalog.save_synonyms(actor, None, language="lv", words=["bēres", "apbedīšana"])
    message = _refusal(editor, ["kapsēta", "apbedīšanu"])
    assert "apbedīšanu" in message and "bēres = apbedīšana" in message
    assert "bēres = apbedīšana" in _refusal(editor, ["funeral", "bēres"], language="en")
