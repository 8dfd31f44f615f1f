"""Dates, times, numbers and money in each language's European form, from one place (issue 9):
day first, 24-hour time, never the US month-first order."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from durvis.core.templatetags.durvis_formats import format_money

MOMENT = datetime.datetime(2026, 10, 1, 14, 5)


def render(source: str, language: str, **context) -> str:
    with translation.override(language):
        return Template("{% load durvis_formats %}" + source).render(Context(context))


@pytest.mark.parametrize(("language", "date", "short", "time"), [
    ("en", "1 October 2026", "01.10.2026", "14:05"),
    ("lv", "2026. gada 1. oktobris", "01.10.2026", "14:05"),
])
def test_dates_are_day_first_and_times_24_hour(language, date, short, time):
    assert render("{{ d|date }}", language, d=MOMENT) == date
    assert render('{{ d|date:"SHORT_DATE_FORMAT" }}', language, d=MOMENT) == short
    assert render("{{ d|time }}", language, d=MOMENT) == time
    assert "10/01" not in render('{{ d|date:"SHORT_DATETIME_FORMAT" }}', language, d=MOMENT)
    assert "a.m." not in render('{{ d|date:"DATETIME_FORMAT" }}', language, d=MOMENT)


def test_money_in_each_language():
    assert format_money(Decimal("12.5"), "lv") == "€\xa012,50"
    assert format_money(Decimal("12.5"), "en") == "€12.50"
    assert format_money(Decimal("1234.5"), "lv") == "€\xa01\xa0234,50"
    assert format_money(Decimal("1234.5"), "en") == "€1,234.50"
    assert render("{{ amount|money }}", "en", amount=Decimal("7")) == "€7.00"
