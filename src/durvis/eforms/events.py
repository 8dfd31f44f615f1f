"""Domain events e-forms publish (A10)."""

from __future__ import annotations

from durvis.core.events import declare

FORM_PUBLISHED = declare(
    "form.published", publisher="eforms",
    payload=("form_id", "version_id", "version", "service_code", "retired_version_id"),
    description="A service's e-form version was published: new applications use it (the "
                "version before it, if any, is retired; running applications keep theirs).")

FORM_RETIRED = declare(
    "form.retired", publisher="eforms",
    payload=("form_id", "version_id", "version", "service_code"),
    description="A service's live e-form was retired: the service takes no new applications "
                "through it (running ones keep their version).")

APPLICATION_SUBMITTED = declare(
    "application.submitted", publisher="eforms",
    payload=("application_id", "reference", "case_number", "service_code", "form_version",
             "holder_id"),
    description="A client submitted an application through a service's e-form: its case is "
                "open in the register. The holder's systems receive the answers and the "
                "attachments' links (a webhook, or GET /api/v1/applications?since=).")
