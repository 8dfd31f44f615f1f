"""The knowledge base's people: a VSAA knowledge editor, a central editor (VDAA's), a provider's
agent (RIGA, no delegation of VSAA's services), the VDAA centre's agent (every stage of VSAA's
services delegated), a VSAA back-office specialist; and a helper writing a published article."""

from __future__ import annotations

import pytest

from durvis.core.actor import Actor
from durvis.identity import services as identity
from durvis.knowledge import services as knowledge

TEXT = {
    "summary": {"lv": "Vienreizējs pabalsts par katru dzimušo bērnu.",
                "en": "A one-off benefit for each child born."},
    "eligibility": {"lv": "Bērna māte vai tēvs.", "en": "The mother or father."},
    "steps": {"lv": "Aizpildiet iesniegumu e-kontā.", "en": "Apply in the e-account."},
}


def make_people(staff, institutions):
    """The module docstring's people, by name (`editor`, `central`, `vid_editor`,
    `riga_agent`, `centre_agent`, `back_office`), each with an e-mail address."""
    def make(username, code, roles):
        member = identity.record_staff(username=username, password=f"pw-{username}-long-enough",
                                       institution=institutions[code], roles=roles)
        member.user.email = f"{username}@example.lv"
        member.user.save()
        return member

    return {
        "editor": make("editor.vsaa", "VSAA", ["knowledge_editor"]),
        "central": make("editor.vdaa", "VDAA", ["knowledge_editor"]),
        "vid_editor": make("editor.vid", "VID", ["knowledge_editor"]),
        "riga_agent": make("agent.riga", "RIGA", ["agent"]),
        "centre_agent": staff["agent"],
        "back_office": make("bo.vsaa", "VSAA", ["back_office"]),
    }


@pytest.fixture
def people(catalogue, staff, institutions):
    return make_people(staff, institutions)


def actor(member):
    return Actor(kind="staff", staff=member)


@pytest.fixture
def publish_article(people, catalogue):
    """Write, review and publish an article: `publish_article(audience="holder", title=...)`."""
    def make(audience="public", title="Bērna piedzimšanas pabalsts: kā pieteikties",
             service="childbirth", topic="", content=None, first_level=False):
        version = knowledge.create_article(actor(people["editor"]), knowledge.ArticleSubject(
            audience=audience, service=catalogue[service] if service else None, topic=topic,
            first_level=first_level), knowledge.ArticleDraft(
            title_lv=title, title_en="Childbirth benefit", content=content or TEXT))
        knowledge.submit(actor(people["editor"]), version)
        knowledge.approve(actor(people["central"]), version)
        version.refresh_from_db()
        return version

    return make
