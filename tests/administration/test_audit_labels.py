"""The activity log names every action in the staff's words (issue 16's findings: raw codes such
as `workflows.task.created` and `identity.institution.office_hours` were shown): every action
code the platform's code writes — literal, or a family with a variable part (a verb, a state, a
task's move) — has a label in `administration.audit_labels.ACTIONS`."""

from __future__ import annotations

import pathlib
import re

import durvis
from durvis.administration.audit_labels import ACTIONS
from durvis.mandates.models import MandateState
from durvis.payments.models import InvoiceState, PaymentState
from durvis.workflows.models import TaskEventKind

# A literal action code handed to a function that audits (`record`, `record_many`, `_read_as`,
# `_audit`, ...): its first, second or third argument.
LITERAL = re.compile(r'\b\w*(?:record|read_as|audit|_use)\w*\(\s*(?:[\w.\[\]()"]+,\s*){0,2}'
                     r'"([a-z_]+\.[a-z_]+\.[a-z_.]+)"')
AUDIT = re.compile(r'\b_audit\(\s*actor,\s*"([a-z_]+\.[a-z_]+)"')
VERB = re.compile(r'\b_publish\(\s*actor,\s*\w+,\s*"([a-z_]+)"')


def _sources() -> dict[str, str]:
    root = pathlib.Path(durvis.__file__).parent
    return {str(p.relative_to(root)): p.read_text() for p in root.rglob("*.py")
            if "migrations" not in p.parts}


def test_every_literal_action_code_has_a_label():
    codes = {code for text in _sources().values() for code in LITERAL.findall(text)}
    assert len(codes) > 100  # the pattern still finds the calls
    assert sorted(codes - ACTIONS.keys()) == []


def test_every_family_of_action_codes_has_a_label():
    sources = _sources()
    families = {
        "eforms.": set(AUDIT.findall(sources["eforms/services.py"])),
        "mandates.mandate.": set(VERB.findall(sources["mandates/services.py"])),
        "workflows.task.": set(TaskEventKind.values),
        "payments.payment.": set(PaymentState.values),
        "payments.invoice.": {InvoiceState.CANCELLED, InvoiceState.CREDITED},
    }
    assert families["eforms."] and families["mandates.mandate."] >= {"grant", "revoke"}
    missing = sorted(prefix + verb for prefix, verbs in families.items() for verb in verbs
                     if prefix + verb not in ACTIONS)
    assert missing == []
    assert MandateState.REVOKED  # the states themselves are not actions
