"""The e-account's profile (A2, C1): the signed-in person's contact data, confirmed by a one-time
code sent to the new address, and what they want to be told by e-mail or SMS, in which language.

The profile is always the signed-in person's own, whatever role the role bar shows: a parent
does not change a child's contacts, and a company's contacts are the enterprise register's. The
identity and messaging services ask the access policy and write the audit log."""

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

from durvis.core.forms import Form, QueryForm
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


class EmailForm(Form):
    email = forms.CharField(
        label=gettext_lazy("New e-mail address"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=gettext_lazy("We send a code to this address; it changes once you enter it."))

    def clean_email(self) -> str:
        return identity.normalise_email(self.cleaned_data["email"])


class PhoneForm(Form):
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


def _contacts_page(request: HttpRequest, person: Person, email_form: EmailForm,
                   phone_form: PhoneForm, status: int = 200) -> HttpResponse:
    states = identity.contact_states(actor_from_request(request), person)
    return render(request, "eaccount/profile_contacts.html", {
        "eaccount_section": "profile", "profile_tab": "contacts", "person": person,
        "masked_code": mask_personal_code(person.personal_code),
        "email": states[ContactKind.EMAIL], "phone": states[ContactKind.PHONE],
        "email_form": email_form, "phone_form": phone_form,
        "sms_available": messaging.phone_confirmation_available(),
    }, status=status)


@client_required
def contacts(request: HttpRequest) -> HttpResponse:
    """The person's name, masked personal code, e-mail and phone with their state; forms to
    change them (a code goes to the new address) or remove them (no code needed)."""
    person = _me(request)
    email_form, phone_form = EmailForm(), PhoneForm()
    if request.method != "POST":
        return _contacts_page(request, person, email_form, phone_form)
    action = request.POST.get("action", "")
    if action.startswith("remove-") and action[7:] in ContactKind.values:
        return _remove(request, person, action[7:])
    if action == ContactKind.EMAIL:
        email_form = EmailForm(request.POST)
        form: forms.Form = email_form
    elif action == ContactKind.PHONE:
        phone_form = PhoneForm(request.POST)
        form = phone_form
    else:
        return redirect("profile:contacts")
    if form.is_valid():
        value = form.cleaned_data[action]
        try:
            messaging.request_contact_change(actor_from_request(request), person, action, value)
        except ValidationError as error:
            form.add_error(action, error)
        else:
            messages.success(request, _CODE_SENT[ContactKind(action)] % {
                "address": identity.shown_contact(action, value),
                "minutes": identity.CONTACT_CODE_LIFETIME.seconds // 60})
            return redirect(f"{reverse('profile:confirm')}?kind={action}")
    return _contacts_page(request, person, email_form, phone_form, status=422)


def _remove(request: HttpRequest, person: Person, kind: str) -> HttpResponse:
    if identity.remove_contact(actor_from_request(request), person, kind):
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
        "form": form, "ended": ended, "query_form": ConfirmQuery(request.GET),
    }, status=status)


def _pending_kind(request: HttpRequest, states: dict[str, identity.ContactState]) -> str | None:
    """The change the page is about: the one asked for, else the first one waiting."""
    asked = request.POST.get("kind") or ConfirmQuery(request.GET).value("kind")
    if asked in states and states[asked].pending is not None:
        return asked
    return next((kind for kind, state in states.items() if state.pending is not None), None)


@client_required
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


@client_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Which topics the person hears of by e-mail and by SMS, and in which language. Saving
    writes only what changed (each change is audited by the messaging service)."""
    person = _me(request)
    actor = actor_from_request(request)
    current = messaging_queries.preferences(person)
    language = messaging_queries.language_of(person)
    initial: dict[str, Any] = {"language": language}
    initial.update({PreferencesForm.field_name(topic, channel): enabled
                    for (topic, channel), enabled in current.items()})
    form = PreferencesForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        for (topic, channel), enabled in form.choices().items():
            if current[(topic, channel)] != enabled:
                messaging.set_preference(actor, person, topic, channel, enabled)
        if form.cleaned_data["language"] != language:
            messaging.set_language(actor, person, form.cleaned_data["language"])
        messages.success(request, _("Your notification settings were saved."))
        return redirect("profile:preferences")
    return render(request, "eaccount/profile_preferences.html", {
        "eaccount_section": "profile", "profile_tab": "preferences", "form": form,
        "channels": NotificationChannel.choices,
        "sms_available": messaging.phone_confirmation_available(),
        "has_email": bool(person.email), "has_phone": bool(person.phone),
    }, status=422 if request.method == "POST" else 200)
