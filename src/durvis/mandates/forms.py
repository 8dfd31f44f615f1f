"""The terms of a mandate as a form (C1, A2): scope, rights, period, passing on — shared by the
e-account's grant and request forms and the workplace's record of a mandate on paper (a signed
paper scanned at a centre, a notarial deed). The writes are `durvis.mandates.services`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from durvis.catalog import queries as catalog
from durvis.catalog.models import Category
from durvis.core.forms import DayField, Form
from durvis.mandates import services
from durvis.mandates.models import MandateScope, Right


@dataclass(frozen=True)
class Choice:
    """One checkbox of a grouped multiple choice: its id, value, label and whether it is
    checked."""

    id: str
    value: str
    label: str
    checked: bool


class TermsForm(Form):
    """What a mandate gives: scope (all, chosen services, categories), rights, period, and
    whether it may be passed on."""

    scope = forms.ChoiceField(label=gettext_lazy("Services the mandate covers"),
                              choices=MandateScope.choices, initial=MandateScope.ALL,
                              widget=forms.RadioSelect)
    service_ids = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Chosen services"), required=False, coerce=int,
        widget=forms.CheckboxSelectMultiple)
    category_ids = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Service categories"), required=False, coerce=int,
        widget=forms.CheckboxSelectMultiple)
    rights = forms.MultipleChoiceField(
        label=gettext_lazy("Rights"), choices=Right.choices, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one right.")})
    valid_from = DayField(label=gettext_lazy("Valid from"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}),
                          help_text=gettext_lazy("Empty: from today."))
    valid_until = DayField(label=gettext_lazy("Valid until"), required=False,
                           widget=forms.DateInput(attrs={"type": "date"}),
                           help_text=gettext_lazy("Empty: until it is revoked."))
    transferable = forms.BooleanField(label=gettext_lazy("May be passed on to another person"),
                                      required=False)

    party = ""  # the field naming the other side (a subclass's)

    def __init__(self, *args: Any, actor: Any = None, client: Any = None, **kwargs: Any) -> None:
        """`actor` acting for `client` (None: anybody's view): the services offered are those
        the client's catalogue shows."""
        super().__init__(*args, **kwargs)
        context = catalog.context_for(actor, client) if actor is not None else (
            catalog.ANONYMOUS_CONTEXT)
        self._offered = list(catalog.visible_services(context).order_by("code")
                             .prefetch_related("categories"))
        self._categories = list(Category.objects.order_by("position", "slug"))
        cast(forms.ChoiceField, self.fields["service_ids"]).choices = [
            (s.pk, f"{s.code} {s.name}") for s in self._offered]
        cast(forms.ChoiceField, self.fields["category_ids"]).choices = [
            (c.pk, c.name) for c in self._categories]

    @property
    def party_field(self) -> forms.BoundField:
        """The field naming the other side (the representative, or whom one asks)."""
        return self[self.party]

    def choices(self, name: str) -> list[Choice]:
        """The checkboxes of a multiple-choice field `name` in its order."""
        grouped = self._grouped(name, lambda _pk: "")
        return grouped[0][1] if grouped else []

    def _grouped(self, name: str, group_of: Any) -> list[tuple[Any, list[Choice]]]:
        """The field's choices as GOV.UK checkboxes (id, value, label, checked), grouped by
        `group_of(value)` (a key; groups in order of first appearance). The ids are the
        field's own (`<auto_id>_<index>`), so the error summary's link finds the first."""
        bound = self[name]
        chosen = {str(v) for v in (bound.value() or [])}
        groups: dict[Any, list[Choice]] = {}
        choices: Any = cast(forms.ChoiceField, self.fields[name]).choices
        options: list[tuple[Any, Any]] = list(choices)
        for index, (value, label) in enumerate(options):
            groups.setdefault(group_of(value), []).append(Choice(
                f"{bound.auto_id}_{index}", str(value), str(label), str(value) in chosen))
        return list(groups.items())

    def _root(self, category_id: int) -> Category:
        """The top-level category above `category_id` (itself if it is one)."""
        by_id = {c.pk: c for c in self._categories}
        category, seen = by_id[category_id], set()
        while category.parent_id in by_id and category.pk not in seen:
            seen.add(category.pk)
            category = by_id[category.parent_id]
        return category

    def rights_choices(self) -> list[Choice]:
        """The rights as checkboxes."""
        return self.choices("rights")

    def service_groups(self) -> list[tuple[str, list[Choice]]]:
        """The offered services grouped by the top-level category each belongs to (the first
        by the catalogue's order); services of no category last, under "Other services"."""
        order = {c.pk: i for i, c in enumerate(self._categories)}
        group: dict[int, int | None] = {}
        for service in self._offered:
            roots = sorted({self._root(c.pk) for c in service.categories.all()
                            if c.pk in order}, key=lambda c: order[c.pk])
            group[service.pk] = roots[0].pk if roots else None
        groups = dict(self._grouped("service_ids", lambda pk: group.get(pk)))
        ordered = [(root.name, groups[root.pk]) for root in self._categories
                   if root.parent_id is None and root.pk in groups]
        if None in groups:
            ordered.append((str(_("Other services")), groups[None]))
        return ordered

    def category_groups(self) -> list[tuple[str, list[Choice]]]:
        """The categories under their top-level category (the top-level one first), the
        groups in the catalogue's order."""
        roots = {c.pk: self._root(c.pk) for c in self._categories}
        groups = dict(self._grouped("category_ids", lambda pk: roots[pk].pk))
        return [(root.name, sorted(groups[root.pk], key=lambda c: c.value != str(root.pk)))
                for root in self._categories if root.parent_id is None and root.pk in groups]

    def terms(self) -> services.Terms:
        data = self.cleaned_data
        return services.Terms(
            scope=data["scope"], service_ids=data["service_ids"],
            category_ids=data["category_ids"], rights=data["rights"],
            valid_from=data["valid_from"], valid_until=data["valid_until"],
            transferable=data["transferable"])
