"""The e-account's profile (A2, C1): the signed-in person's contact data, confirmed by a one-time
code sent to the new address, and what they want to be told by e-mail or SMS, in which language.

The profile is always the signed-in person's own, whatever role the role bar shows: a parent
does not change a child's contacts, and a company's contacts are the enterprise register's. So
its forms act for no role and carry none (`client_required(acts_for_role=False)`): a role
switched in another tab changes nothing they do. The identity and messaging services ask the
access policy and write the audit log.

Its forms carry the version of what they change (`durvis.core.concurrency`): a form left open in
one tab and sent after the contacts or the notification settings were changed in another saves
nothing, and the page shows what is saved now and asks the person to look again (409)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from durvis.core.concurrency import StaleVersion
from durvis.core.forms import Form, QueryForm, VersionField, differences
from durvis.core.identifiers import mask_personal_code
from durvis.core.phones import parse_phone
from durvis.identity import services as identity
from durvis.identity.models import ContactKind, Person
from durvis.identity.sessions import actor_from_request
from durvis.messaging import queries as messaging_queries
from durvis.messaging import services as messaging
from durvis.messaging.models import NotificationChannel, Topic
from durvis.web.shell import client_required

LANGUAGES = [("lv", "Latviešu"), ("en", "English")]


class ContactsForm(Form):
    """What every form of the contacts carries: the version of the contacts it was opened on
    (alone, it is the form that removes an e-mail address or a phone number)."""

    version = VersionField()


class EmailForm(ContactsForm):
    email = forms.CharField(
        label=gettext_lazy("New e-mail address"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=gettext_lazy("We send a code to this address; it changes once you enter it."))

    def clean_email(self) -> str:
        return identity.normalise_email(self.cleaned_data["email"])


class PhoneForm(ContactsForm):
    phone = forms.CharField(
        label=gettext_lazy("New mobile phone number"), max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text=gettext_lazy("For example 29123456, or +37061234567 abroad. We send a code "
                               "by SMS; the number changes once you enter it."))

    def clean_phone(self) -> str:
        return parse_phone(self.cleaned_data["phone"], mobile=True)


class CodeForm(Form):
    code = forms.CharField(
        label=gettext_lazy("Confirmation code"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
        help_text=gettext_lazy("The 6 digits from the message we sent."))

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not re.fullmatch(rf"[0-9]{{{identity.CONTACT_CODE_DIGITS}}}", code):
            raise ValidationError(_("The code has 6 digits."), code="invalid")
        return code


class ConfirmQuery(QueryForm):
    """`?kind=email` or `?kind=phone`: which pending change the code page is about."""

    kind = forms.ChoiceField(label=gettext_lazy("Contact"), required=False, initial="",
                             choices=[("", "—"), *ContactKind.choices])


class PreferencesForm(Form):
    """One checkbox per topic and channel (both off: nothing about the topic), and the language
    of the notifications."""

    language = forms.ChoiceField(label=gettext_lazy("Language of notifications"),
                                 choices=LANGUAGES, widget=forms.RadioSelect)
    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for topic in Topic:
            for channel in NotificationChannel:
                self.fields[self.field_name(topic, channel)] = forms.BooleanField(
                    required=False, label=f"{topic.label}: {channel.label}")

    @staticmethod
    def field_name(topic: str, channel: str) -> str:
        return f"{topic}-{channel}"

    def rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The table's rows: a topic and its checkbox for each channel, in column order."""
        return [(str(topic.label), [self[self.field_name(topic, channel)]
                               for channel in NotificationChannel])
                for topic in Topic]

    def choices(self) -> dict[tuple[str, str], bool]:
        return {(topic.value, channel.value): self.cleaned_data[self.field_name(topic, channel)]
                for topic in Topic for channel in NotificationChannel}


def _me(request: HttpRequest) -> Person:
    """The signed-in person (not the client of the current role): the profile is theirs."""
    person = actor_from_request(request).person
    assert person is not None  # client_required let the request in
    return person


# Whole sentences for each kind of contact: Latvian inflects the noun, so it is never pasted
# into a sentence.
_CODE_SENT = {
    ContactKind.EMAIL: gettext_lazy(
        "We sent a 6-digit code to %(address)s. Enter it here within %(minutes)d minutes; until "
        "then your e-mail address stays as it was."),
    ContactKind.PHONE: gettext_lazy(
        "We sent a 6-digit code to %(address)s. Enter it here within %(minutes)d minutes; until "
        "then your phone number stays as it was."),
}
_REMOVED = {ContactKind.EMAIL: gettext_lazy("Your e-mail address was removed."),
            ContactKind.PHONE: gettext_lazy("Your phone number was removed.")}
_NOTHING_TO_REMOVE = {ContactKind.EMAIL: gettext_lazy("You have no e-mail address to remove."),
                      ContactKind.PHONE: gettext_lazy("You have no phone number to remove.")}
_CONFIRMED = {
    ContactKind.EMAIL: gettext_lazy("Confirmed: your e-mail address is now %(address)s."),
    ContactKind.PHONE: gettext_lazy("Confirmed: your phone number is now %(address)s."),
}


def _contacts_page(request: HttpRequest, person: Person, email_form: EmailForm | None = None,
                   phone_form: PhoneForm | None = None, status: int = 200, *,
                   errors: ContactsForm | None = None, stale: bool = False) -> HttpResponse:
    """The contacts page; `errors` is a removal form that was out of date, `stale` says that
    the contacts changed after the form sent was opened."""
    states = identity.contact_states(actor_from_request(request), person)
    version = {"version": person.contacts_version}
    return render(request, "eaccount/profile_contacts.html", {
        "eaccount_section": "profile", "profile_tab": "contacts", "person": person,
        "masked_code": mask_personal_code(person.personal_code),
        "email": states[ContactKind.EMAIL], "phone": states[ContactKind.PHONE],
        "email_form": email_form or EmailForm(initial=version),
        "phone_form": phone_form or PhoneForm(initial=version),
        "contacts_version": person.contacts_version, "form": errors, "stale": stale,
        "sms_available": messaging.phone_confirmation_available(),
    }, status=status)


@client_required(acts_for_role=False)
def contacts(request: HttpRequest) -> HttpResponse:
    """The person's name, masked personal code, e-mail and phone with their state; forms to
    change them (a code goes to the new address) or remove them (no code needed). Each form
    carries the version of the contacts it was opened on; sent after they changed elsewhere,
    it does nothing and the page shows them as they are now (409)."""
    person = _me(request)
    if request.method != "POST":
        return _contacts_page(request, person)
    action = request.POST.get("action", "")
    if action.startswith("remove-") and action[7:] in ContactKind.values:
        return _remove(request, person, action[7:])
    email_form, phone_form = None, None
    if action == ContactKind.EMAIL:
        email_form = EmailForm(request.POST)
        form: ContactsForm = email_form
    elif action == ContactKind.PHONE:
        phone_form = PhoneForm(request.POST)
        form = phone_form
    else:
        return redirect("profile:contacts")
    if form.is_valid():
        value = form.cleaned_data[action]
        try:
            messaging.request_contact_change(actor_from_request(request), person, action, value,
                                             version=form.cleaned_data["version"])
        except StaleVersion:
            return _contacts_changed(request, person)
        except ValidationError as error:
            form.add_error(action, error)
        else:
            messages.success(request, _CODE_SENT[ContactKind(action)] % {
                "address": identity.shown_contact(action, value),
                "minutes": identity.CONTACT_CODE_LIFETIME.seconds // 60})
            return redirect(f"{reverse('profile:confirm')}?kind={action}")
    return _contacts_page(request, person, email_form, phone_form, status=422)


def _contacts_changed(request: HttpRequest, person: Person) -> HttpResponse:
    """The contacts changed after the form was opened: nothing was done; show them as they
    are, with fresh forms (what was typed is no longer about the same contacts)."""
    person.refresh_from_db()
    return _contacts_page(request, person, status=409, stale=True)


def _remove(request: HttpRequest, person: Person, kind: str) -> HttpResponse:
    form = ContactsForm(request.POST)
    if not form.is_valid():
        return _contacts_page(request, person, status=422, errors=form)
    try:
        removed = identity.remove_contact(actor_from_request(request), person, kind,
                                          version=form.cleaned_data["version"])
    except StaleVersion:
        return _contacts_changed(request, person)
    if removed:
        messages.success(request, _REMOVED[ContactKind(kind)])
    else:
        messages.info(request, _NOTHING_TO_REMOVE[ContactKind(kind)])
    return redirect("profile:contacts")


def _confirm_page(request: HttpRequest, state: identity.ContactState, form: CodeForm | None,
                  status: int = 200, ended: str = "") -> HttpResponse:
    """The code form for a pending change; or, when the change ended (expired, too many wrong
    codes), the way to send a new code to the same address."""
    return render(request, "eaccount/profile_confirm.html", {
        "eaccount_section": "profile", "profile_tab": "contacts", "state": state,
        "form": form, "ended": ended, "contacts_version": _me(request).contacts_version,
        "query_form": ConfirmQuery(request.GET),
    }, status=status)


def _pending_kind(request: HttpRequest, states: dict[str, identity.ContactState]) -> str | None:
    """The change the page is about: the one asked for, else the first one waiting."""
    asked = request.POST.get("kind") or ConfirmQuery(request.GET).value("kind")
    if asked in states and states[asked].pending is not None:
        return asked
    return next((kind for kind, state in states.items() if state.pending is not None), None)


@client_required(acts_for_role=False)
def confirm(request: HttpRequest) -> HttpResponse:
    """Enter the code sent to the new address. A stale or repeated post (nothing waits for a
    code any more) is a message on the contacts page, not an error."""
    person = _me(request)
    states = identity.contact_states(actor_from_request(request), person)
    kind = _pending_kind(request, states)
    if kind is None:
        messages.info(request, _("No change of your contacts is waiting for a code: it was "
                                 "confirmed already or replaced by a newer request."))
        return redirect("profile:contacts")
    state = states[kind]
    if request.method != "POST":
        if state.pending_expired:
            return _confirm_page(request, state, None, ended="expired")
        return _confirm_page(request, state, CodeForm())
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _confirm_page(request, state, form, status=422)
    result = identity.confirm_contact_change(actor_from_request(request), person, kind,
                                             form.cleaned_data["code"])
    outcome = result.outcome
    if outcome is identity.ContactCodeCheck.CONFIRMED:
        messages.success(request, _CONFIRMED[ContactKind(kind)] % {
            "address": identity.shown_contact(kind, result.value)})
        return redirect("profile:contacts")
    if outcome is identity.ContactCodeCheck.WRONG:
        form.add_error("code", ngettext(
            "The code is not right. You can try %(count)d more time.",
            "The code is not right. You can try %(count)d more times.",
            result.attempts_left) % {"count": result.attempts_left})
        return _confirm_page(request, state, form, status=422)
    if outcome is identity.ContactCodeCheck.NOTHING_PENDING:
        messages.info(request, _("No change of your contacts is waiting for a code: it was "
                                 "confirmed already or replaced by a newer request."))
        return redirect("profile:contacts")
    return _confirm_page(request, state, None, status=422, ended=str(outcome))


def _saved_preferences(person: Person) -> dict[str, Any]:
    """The settings form's values as saved now, with their version."""
    initial: dict[str, Any] = {"language": messaging_queries.language_of(person),
                               "version": messaging_queries.settings_version(person)}
    initial.update({PreferencesForm.field_name(topic, channel): enabled
                    for (topic, channel), enabled in messaging_queries.preferences(person).items()})
    return initial


@client_required(acts_for_role=False)
def preferences(request: HttpRequest) -> HttpResponse:
    """Which topics the person hears of by e-mail and by SMS, and in which language. Saving
    writes only what changed (each change is audited by the messaging service). A form opened
    before the settings changed elsewhere (another tab) saves nothing: the page shows the saved
    settings and which of them differ from what was sent (409), unless none does."""
    person = _me(request)
    form = PreferencesForm(request.POST if request.method == "POST" else None,
                           initial=_saved_preferences(person))
    if request.method == "POST" and form.is_valid():
        try:
            messaging.save_notification_settings(
                actor_from_request(request), person, form.choices(),
                form.cleaned_data["language"], version=form.cleaned_data["version"])
        except StaleVersion:
            saved = PreferencesForm(initial=_saved_preferences(person))
            if changed := differences(form, saved):
                return _preferences_page(request, person, saved, status=409, changed=changed)
        messages.success(request, _("Your notification settings were saved."))
        return redirect("profile:preferences")
    return _preferences_page(request, person, form,
                             status=422 if request.method == "POST" else 200)


def _preferences_page(request: HttpRequest, person: Person, form: PreferencesForm,
                      status: int, changed: list[str] | None = None) -> HttpResponse:
    return render(request, "eaccount/profile_preferences.html", {
        "eaccount_section": "profile", "profile_tab": "preferences", "form": form,
        "channels": NotificationChannel.choices, "changed": changed,
        "sms_available": messaging.phone_confirmation_available(),
        "has_email": bool(person.email), "has_phone": bool(person.phone),
    }, status=status)
