"""Register a consultation in a few seconds (B3, B1; seed 4.2 lines 1674-1679): the service or
topic, the channel, who asked (the client identified or verified in this session, a phone number
only, or anonymous), the outcome and, timed from opening the form to saving it, the duration.

The form carries when it was opened, signed (`TimestampSigner`), so the duration is measured by
the server and cannot be typed; a form older than `forms.MAX_OPEN` or tampered with is answered with a
fresh one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from durvis.administration.clients import identified_client
from durvis.administration.forms import offer_services, opened_at, opened_now
from durvis.catalog.models import Stage
from durvis.catalog.queries import services_served_by
from durvis.core.forms import CaseNumberField, Form
from durvis.identity.models import Person
from durvis.identity.sessions import actor_from_request
from durvis.knowledge import scripts
from durvis.knowledge.models import ScriptRun
from durvis.register import services as register
from durvis.register.models import (
    Consultation,
    ConsultationOutcome,
    IdentificationLevel,
    RegisterChannel,
)
from durvis.web.shell import staff_required

SALT = "durvis.workplace.consultation"
CHANNELS = (RegisterChannel.PHONE, RegisterChannel.CENTRE, RegisterChannel.EMAIL)


class ConsultationForm(Form):
    service = forms.TypedChoiceField(label=gettext_lazy("Service"), coerce=int, required=False,
                                     empty_value=None)
    topic = forms.CharField(label=gettext_lazy("Or a topic"), max_length=200, required=False)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), widget=forms.RadioSelect,
                                choices=[(c.value, c.label) for c in CHANNELS])
    who = forms.ChoiceField(label=gettext_lazy("Who asked"), widget=forms.RadioSelect)
    client_phone = forms.CharField(label=gettext_lazy("Caller's phone number"), max_length=30,
                                   required=False)
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), widget=forms.RadioSelect,
                                choices=ConsultationOutcome.choices)
    case = CaseNumberField(label=gettext_lazy("Case it was about (optional)"), required=False)
    # The signed opening time (no text a person types: checked by its signature, `_duration`).
    started = forms.Field(widget=forms.HiddenInput)
    # The call script run (knowledge.scripts) the agent ended this conversation with, if any:
    # saved on the consultation, so that it records the path taken (B6).
    script_run = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1,
                                    max_value=2**31 - 1)

    def __init__(self, *args: Any, services: list[Any], client: Person | None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_services(self, "service", services, _("None: a general topic"))
        who = self.fields["who"]
        assert isinstance(who, forms.ChoiceField)
        choices = [(IdentificationLevel.PHONE_ONLY.value, _("A caller known by phone only")),
                   (IdentificationLevel.ANONYMOUS.value, _("Anonymous"))]
        if client is not None:
            choices.insert(0, (IdentificationLevel.IDENTIFIED_BY_AGENT.value, str(client)))
        who.choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("service") and not (data.get("topic") or "").strip():
            self.add_error("topic", _("Choose the service or name the topic."))
        if data.get("who") == IdentificationLevel.PHONE_ONLY and not data.get("client_phone"):
            self.add_error("client_phone", _("Give the caller's phone number."))
        return data


def _client(request: HttpRequest) -> Person | None:
    """The client this session identified or verified, named by `client` (else None)."""
    return identified_client(request, request.GET.get("client") or request.POST.get("client")
                             or "")


@staff_required
def consultation_new(request: HttpRequest) -> HttpResponse:
    """The form (GET) and registering it (POST); a refusal shows at its field."""
    actor = actor_from_request(request)
    assert actor.institution_id is not None
    # Only the services it may consult about: held, or the information stage delegated (A1).
    services = list(services_served_by(actor.institution_id, Stage.INFORMATION))
    client = _client(request)
    fresh = {"started": opened_now(SALT), **_from_script(request)}
    if request.method != "POST":
        form = ConsultationForm(initial=fresh, services=services, client=client)
        return _page(request, form, client)
    seconds = _duration(str(request.POST.get("started", "")))
    if seconds is None:
        messages.error(request, _("This form was open too long to time the conversation; "
                                  "it is ready again."))
        return redirect(request.get_full_path())
    form = ConsultationForm(request.POST, services=services, client=client)
    if form.is_valid():
        try:
            with transaction.atomic():
                consultation = _register(actor, form.cleaned_data, services, client, seconds)
                if form.cleaned_data.get("script_run"):
                    scripts.attach_run(actor, form.cleaned_data["script_run"], consultation)
        except ScriptRun.DoesNotExist:
            form.add_error(None, _("The call script's run is not yours or is already saved on "
                                   "a consultation."))
        except ValidationError as error:
            _show(form, error)
        else:
            messages.success(request, _("The consultation is registered (%(minutes)d min).")
                             % {"minutes": max(1, round(seconds / 60))})
            return redirect(_without_script(request))
    return _page(request, form, client, status=422)


def _from_script(request: HttpRequest) -> dict[str, Any]:
    """The form's initial values when an agent comes from the end of a call script
    (`?script_run=<id>&service=<id>&outcome=<outcome>`): only well-formed values are taken, the
    form checks them again when it is sent."""
    initial: dict[str, Any] = {}
    for name in ("script_run", "service"):
        value = str(request.GET.get(name, ""))
        if value.isascii() and value.isdigit() and len(value) <= 9:
            initial[name] = int(value)
    if request.GET.get("outcome") in ConsultationOutcome.values:
        initial["outcome"] = request.GET["outcome"]
    return initial


def _without_script(request: HttpRequest) -> str:
    """The form's address for the next consultation: the client kept, the script's run not."""
    client = str(request.GET.get("client", ""))
    base = request.path
    return f"{base}?client={client}" if client.isascii() and client.isdigit() else base


def _page(request: HttpRequest, form: ConsultationForm, client: Person | None,
          status: int = 200) -> HttpResponse:
    return render(request, "administration/consultation_new.html",
                  {"form": form, "client": client}, status=status)


def _duration(started: str) -> int | None:
    opened = opened_at(started, SALT)
    if opened is None:
        return None
    return max(0, int((timezone.now() - opened).total_seconds()))


def _register(actor: Any, data: dict[str, Any], services: list[Any], client: Person | None,
              seconds: int) -> Consultation:
    service = next((s for s in services if s.pk == data["service"]), None)
    who = data["who"]
    return register.register_consultation(actor, register.NewConsultation(
        channel=data["channel"], identification=who, outcome=data["outcome"],
        occurred_at=timezone.now(), service_code=service.code if service else None,
        topic=(data.get("topic") or "").strip(),
        personal_code=client.personal_code if client and who == "identified_by_agent" else "",
        client_phone=data.get("client_phone", "") if who == "phone_only" else "",
        duration_seconds=seconds, case_number=data.get("case") or ""))


def _show(form: ConsultationForm, error: ValidationError) -> None:
    names = {"service_code": "service", "case_number": "case", "topic": "topic",
             "client_phone": "client_phone", "identification": "who"}
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(names.get(name), errors)
    else:
        form.add_error(None, error)
