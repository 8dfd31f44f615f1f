"""Shared fixtures of the payments tests (A8): payee accounts of VSAA and RIGA, a finance
specialist of each, a paid service and a case of it."""

from __future__ import annotations

import pytest

from durvis.catalog.models import Service
from durvis.core.actor import SYSTEM, Actor
from durvis.identity import services as identity
from durvis.payments import services as payments

# Real-shaped accounts: the Treasury's BIC for a state institution, a bank's for a municipality.
VSAA_IBAN = "LV71TREL9140401016000"
RIGA_IBAN = "LV36RIKO0000435195001"


@pytest.fixture
def payee_accounts(institutions):
    return {
        "VSAA": payments.save_payee_account(SYSTEM, institutions["VSAA"],
                                            name="Valsts sociālās apdrošināšanas aģentūra",
                                            iban=VSAA_IBAN, bic="TRELLV22"),
        "RIGA": payments.save_payee_account(SYSTEM, institutions["RIGA"],
                                            name="Rīgas valstspilsētas pašvaldība",
                                            iban=RIGA_IBAN, bic="RIKOLV2X"),
    }


@pytest.fixture
def finance(institutions):
    """Finance specialists of VSAA and RIGA, as actors."""
    def make(username, code):
        member = identity.record_staff(username=username, password=f"pw-{username}-long-enough",
                                       institution=institutions[code], roles=["finance"])
        return Actor(kind="staff", staff=member)

    return {"VSAA": make("finance.vsaa", "VSAA"), "RIGA": make("finance.riga", "RIGA")}


@pytest.fixture
def paid_service(catalogue):
    """The childbirth benefit service (1011, VSAA) made a prepaid service of 7.11 EUR."""
    Service.objects.filter(code=1011).update(fee_kind="prepayment", fee_amount="7.11")
    return Service.objects.get(code=1011)
