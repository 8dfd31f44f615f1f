"""The activity log in the staff's words (issue 16's findings): a label per audited action
(`ACTIONS`; the action's code where none is declared, so a new action still shows) and the
entry's details as a list of the keys staff read (`DETAILS`), never the stored dict as it is.

The client's "who used my data" has its own wording (`audit.queries.declare_use`: "Read your
case"); this is the institution's review of its own staff ("Case read"). A value is shown as
text (a list joined, a mapping as its "key: value" pairs, yes/no), with anything shaped like a
personal code masked (`core.logging.redact`); a key not listed here is left out, so a detail
that holds a person's data is never shown unless it is listed.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from durvis.core.logging import redact

ACTIONS: dict[str, Promise] = {
    "administration.access_review.completed": _("Access review completed"),
    "administration.audit.read": _("Activity log read"),
    "administration.flagged_uses.read": _("Flagged uses read"),
    "audit.data_use.read": _("Client's data-use list read"),
    "audit.flagged_use.reviewed": _("Flagged use reviewed"),
    "catalog.delegation.create": _("Stage delegated to a provider"),
    "catalog.delegation.end": _("Delegation ended"),
    "catalog.embed_origin.add": _("Embedding site added"),
    "catalog.embed_origin.remove": _("Embedding site removed"),
    "catalog.eservice.handoff": _("Client sent to an e-service"),
    "catalog.eservice.register": _("E-service registered"),
    "catalog.eservice.update": _("E-service changed"),
    "catalog.service.create": _("Service created"),
    "catalog.synonyms.create": _("Search synonyms added"),
    "catalog.synonyms.delete": _("Search synonyms removed"),
    "catalog.synonyms.update": _("Search synonyms changed"),
    "catalog.service.update": _("Service changed"),
    "core.event_delivery.replay": _("Event delivery replayed"),
    "documents.case_documents.read": _("Case documents listed"),
    "documents.document.attach": _("Document attached"),
    "documents.document.download": _("Document downloaded"),
    "documents.document.store": _("Document stored"),
    "documents.list.read": _("Documents listed"),
    "eaccount.role.switch": _("Client switched role"),
    "eforms.application.attachment.read": _("Application file opened"),
    "eforms.application.discard": _("Draft application discarded"),
    "eforms.application.read": _("Application read"),
    "eforms.application.save": _("Draft application saved"),
    "eforms.application.start": _("Application started"),
    "eforms.application.submit": _("Application submitted"),
    "eforms.assistant.confirm": _("Assisted application confirmed"),
    "eforms.assistant.identify": _("Client identified for an assisted application"),
    "eforms.assistant.originals": _("Originals seen at the counter"),
    "eforms.assistant.scan": _("Paper document scanned"),
    "eforms.assistant.summary": _("Assisted application summary printed"),
    "eforms.prefill.create": _("Prefilled application prepared"),
    "eforms.prefill.use": _("Prefilled application opened"),
    "identity.client.sign_in": _("Client signed in"),
    "identity.client.sign_in_failed": _("Client sign-in failed"),
    "identity.contact.change_requested": _("Contact change requested"),
    "identity.contact.changed": _("Contact changed"),
    "identity.contact.confirm_failed": _("Contact confirmation failed"),
    "identity.contact.removed": _("Contact removed"),
    "identity.profile.read": _("Client profile read"),
    "identity.staff.locked_out": _("Staff account locked"),
    "identity.staff.role_grant": _("Staff role granted"),
    "identity.staff.roles_revoked": _("Staff roles revoked"),
    "identity.staff.second_factor_enrolled": _("Second factor enrolled"),
    "identity.staff.second_factor_failed": _("Second factor failed"),
    "identity.staff.second_factor_reset": _("Second factor reset"),
    "identity.staff.sign_in": _("Staff member signed in"),
    "integrations.api_client.create": _("System access created"),
    "integrations.api_client.deactivate": _("System access deactivated"),
    "integrations.outbox.replay": _("Outgoing notices replayed"),
    "integrations.webhook.create": _("Webhook created"),
    "integrations.webhook.delete": _("Webhook deleted"),
    "integrations.webhook.delivered": _("Webhook delivered"),
    "integrations.webhook.personal_data": _("Personal data sent by webhook"),
    "integrations.webhook.rotate_secret": _("Webhook secret replaced"),
    "integrations.webhook.test": _("Webhook tested"),
    "integrations.webhook.update": _("Webhook changed"),
    "knowledge.article.audience": _("Article's readers changed"),
    "knowledge.article.create": _("Article created"),
    "knowledge.article.edit": _("Article draft saved"),
    "knowledge.article.new_version": _("Article's new version started"),
    "knowledge.article.publish": _("Article published"),
    "knowledge.article.retire": _("Article retired"),
    "knowledge.article.return": _("Article sent back to its editors"),
    "knowledge.article.schedule": _("Article's publication scheduled"),
    "knowledge.article.submit": _("Article sent to review"),
    "knowledge.feedback.give": _("Feedback on an article given"),
    "knowledge.feedback.handle": _("Feedback on an article handled"),
    "knowledge.script.attach": _("Call script run saved on a consultation"),
    "knowledge.script.create": _("Call script created"),
    "knowledge.script.edit": _("Call script draft saved"),
    "knowledge.script.new_version": _("Call script's new version started"),
    "knowledge.script.publish": _("Call script published"),
    "knowledge.script.retire": _("Call script retired"),
    "knowledge.script.return": _("Call script sent back to its editors"),
    "knowledge.script.run": _("Call script run started"),
    "knowledge.script.schedule": _("Call script's publication scheduled"),
    "knowledge.script.submit": _("Call script sent to review"),
    "knowledge.subscribe": _("Knowledge base subscription added"),
    "knowledge.unsubscribe": _("Knowledge base subscription removed"),
    "mandates.mandate.history": _("Mandate history read"),
    "mandates.mandate.record_on_paper": _("Mandate recorded from a paper at a centre"),
    "messaging.case_messages.read": _("Case messages read"),
    "messaging.inbox.read": _("Inbox read"),
    "messaging.language.set": _("Message language set"),
    "messaging.message.read": _("Message read"),
    "messaging.message.reply": _("Message replied to"),
    "messaging.message.send": _("Message sent"),
    "messaging.message.write": _("Message written"),
    "messaging.preference.set": _("Notification preference set"),
    "messaging.reply.read": _("Reply read"),
    "messaging.thread.archive": _("Conversation archived"),
    "messaging.thread.read": _("Conversation read"),
    "payments.invoice.cancelled": _("Invoice cancelled"),
    "payments.invoice.credit_note": _("Credit note issued"),
    "payments.invoice.credited": _("Invoice credited"),
    "payments.invoice.issue": _("Invoice issued"),
    "payments.invoice.list": _("Invoices listed"),
    "payments.invoice.read": _("Invoice read"),
    "payments.invoice.settle": _("Invoice settled"),
    "payments.payee_account.save": _("Payee account saved"),
    "payments.payment.record": _("Payment recorded"),
    "payments.payment.record_batch": _("Payments recorded in a batch"),
    "payments.payment.start": _("Payment started"),
    "payments.refund.failed": _("Refund failed"),
    "payments.refund.request": _("Refund requested"),
    "payments.refund.success": _("Refund made"),
    "payments.statement.confirm": _("Bank statement confirmed"),
    "payments.statement.import": _("Bank statement imported"),
    "payments.statement.set_aside": _("Statement entry set aside"),
    "register.case.acknowledge": _("Case acknowledged"),
    "register.case.feedback": _("Case feedback given"),
    "register.case.open": _("Case opened"),
    "register.case.read": _("Case read"),
    "register.case.result": _("Case result recorded"),
    "register.case.result_handed_out": _("Result handed out"),
    "register.case.status": _("Case status changed"),
    "register.client.search": _("Client searched for"),
    "register.client.verify": _("Caller verified"),
    "register.client.verify_failed": _("Caller verification failed"),
    "register.consultation.create": _("Consultation registered"),
    "register.consultation.feedback": _("Consultation feedback given"),
    "register.history.read": _("Client's history read"),
    "register.overview.read": _("Client's overview read"),
    "register.status_mapping.delete": _("Status mapping deleted"),
    "register.status_mapping.set": _("Status mapping set"),
    "register.work_time.correct": _("Working time corrected"),
    "register.work_time.service_point": _("Service point set"),
    "servicepoints.point.create": _("Service point added"),
    "servicepoints.point.change": _("Service point changed"),
    "servicepoints.closure.add": _("Service point closed for a day"),
    "servicepoints.closure.remove": _("Service point's closed day removed"),
    "calendars.calendar.save": _("Appointment calendar saved"),
    "calendars.booking.book": _("Appointment booked"),
    "calendars.booking.move": _("Appointment moved"),
    "calendars.booking.cancel": _("Appointment cancelled"),
    "calendars.day.read": _("Service point's day of appointments read"),
    "calendars.booking.system_read": _("Appointment read by an institution's system"),
    "calendars.client.read": _("Client's details read to book an appointment"),
    "calendars.booking.ics": _("Appointment's calendar file downloaded"),
    "workflows.team.create": _("Team created"),
    "workflows.team.people": _("Team members changed"),
    "workflows.version.publish": _("Workflow version published"),
    "workflows.workflow.retire": _("Workflow retired"),
    # The codes some services write with a variable part (a verb, a state, a task's move).
    "documents.document.read": _("Document read"),
    "documents.document.sign": _("Document signed"),
    "identity.institution.office_hours": _("Office hours changed"),
    "eforms.draft.create": _("Form draft created"),
    "eforms.draft.discard": _("Form draft discarded"),
    "eforms.version.publish": _("Form version published"),
    "eforms.version.retire": _("Form version retired"),
    "mandates.mandate.grant": _("Mandate granted"),
    "mandates.mandate.request": _("Mandate requested"),
    "mandates.mandate.confirm": _("Mandate request confirmed"),
    "mandates.mandate.refuse": _("Mandate request refused"),
    "mandates.mandate.revoke": _("Mandate revoked"),
    "payments.payment.created": _("Payment created"),
    "payments.payment.started": _("Payment started at the provider"),
    "payments.payment.submitted": _("Payment submitted by the payer"),
    "payments.payment.success": _("Payment succeeded"),
    "payments.payment.failed": _("Payment failed"),
    "payments.payment.cancelled": _("Payment cancelled"),
    "payments.payment.expired": _("Payment expired"),
    "workflows.task.created": _("Task queued"),
    "workflows.task.taken": _("Task taken"),
    "workflows.task.released": _("Task put back in the queue"),
    "workflows.task.handed_over": _("Task handed over"),
    "workflows.task.moved": _("Task moved on"),
    "workflows.task.warned": _("Task close to its time"),
    "workflows.task.escalated": _("Task escalated"),
    "workflows.task.cancelled": _("Task cancelled"),
}

DETAILS: dict[str, Promise] = {
    "service": _("Service"),
    "case": _("Case"),
    "number": _("Number"),
    "kind": _("Kind"),
    "reason": _("Reason"),
    "amount": _("Amount"),
    "invoice": _("Invoice"),
    "status": _("Status"),
    "state": _("State"),
    "provider": _("Provider"),
    "stage": _("Stage"),
    "valid_from": _("Valid from"),
    "valid_until": _("Valid until"),
    "channel": _("Channel"),
    "service_point": _("Service point"),
    "task": _("Task"),
    "step": _("Step"),
    "to_step": _("To step"),
    "version": _("Version"),
    "total": _("Total"),
    "topic": _("Topic"),
    "shown": _("Shown"),
    "found": _("Found"),
    "role": _("Role"),
    "roles": _("Roles"),
    "institution": _("Institution"),
    "holder": _("Holder"),
    "seconds": _("Seconds"),
    "corrected_seconds": _("Corrected seconds"),
    "filters": _("Filters"),
    "language": _("Language"),
    "words": _("Words"),
    "origin": _("Origin"),
    "month": _("Month"),
    "page": _("Page"),
    "source": _("Source"),
    "basis": _("Basis"),
    "cause": _("Cause"),
    "events": _("Events"),
    "document_kind": _("Document kind"),
    "direction": _("Direction"),
    "members": _("Members"),
    "services": _("Services"),
    "holder_status": _("Holder's status"),
    "paid": _("Paid"),
    "enabled": _("Enabled"),
    "active": _("Active"),
    "audience": _("Readers"),
    "first_level": _("First level"),
    "publish_at": _("Publish at"),
    "outdated": _("Outdated version"),
    "helpful": _("Helped"),
    "flagged": _("Review asked"),
    "run": _("Call script run"),
    "outcome": _("Outcome"),
}


def action_label(action: str) -> Promise | str:
    """The staff's label of an audited `action` code, or the code itself when none is
    declared."""
    return ACTIONS.get(action, action)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, dict):
        return "; ".join(f"{DETAILS.get(k, k)}: {_text(v)}" for k, v in sorted(value.items())
                         if not isinstance(v, dict | list))
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value if not isinstance(v, dict | list))
    return str(value)


def readable_details(details: dict[str, Any]) -> list[tuple[Promise, str]]:
    """(label, text) of the `details` keys listed in `DETAILS`, in that order; empty values and
    unlisted keys are left out; personal-code-shaped numbers masked."""
    rows = []
    for key, label in DETAILS.items():
        value = details.get(key)
        if value in (None, "", [], {}):
            continue
        text = redact(_text(value))
        if text:
            rows.append((label, text))
    return rows
