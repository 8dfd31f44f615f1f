"""The demo gives every holder of a service with a fee a merchant account with the payment
gateway (A8), so that its invoices can be paid online on the simulator; loading again adds
none."""

from __future__ import annotations

import pytest

from durvis.catalog.models import Service
from durvis.demo.loader import load_demo
from durvis.payments.models import MerchantAccount

pytestmark = pytest.mark.django_db


def test_every_holder_of_a_paid_service_has_one_merchant_account():
    load_demo()
    paid = set(Service.objects.exclude(fee_kind="none").exclude(fee_amount=None)
               .values_list("holder__code", flat=True))
    merchants = MerchantAccount.objects.filter(active=True, provider="gateway")
    assert paid and set(merchants.values_list("institution__code", flat=True)) == paid
    assert merchants.count() == len(paid)
    load_demo(reset=True)
    assert MerchantAccount.objects.count() == len(paid)
