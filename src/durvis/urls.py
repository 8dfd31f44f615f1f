from django.conf.urls.i18n import i18n_patterns
from django.contrib.auth import views as auth_views
from django.urls import include, path

from durvis.administration import signin
from durvis.api import api
from durvis.core import pages
from durvis.core import views as core_views
from durvis.eaccount import handoff
from durvis.identity.urls import protocol_urlpatterns as signin_protocol_urls

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", pages.favicon, name="favicon"),
    path("readyz", core_views.readyz, name="readyz"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Addresses identity providers call back, and the demo identity provider (demo mode only).
    path("", include(signin_protocol_urls)),
    path("demo/idp/", include("durvis.demo.idp_urls")),
    # The platform's public keys, which holders' e-services check hand-off tokens with (A12).
    path("sso/jwks.json", handoff.jwks, name="handoff-jwks"),
]
urlpatterns += i18n_patterns(
    path("", include("durvis.catalog.urls")),
    path("", include("durvis.addresses.urls")),
    path("", include("durvis.servicepoints.urls")),
    path("accessibility/", pages.statement, {"name": "accessibility"}, name="accessibility"),
    path("privacy/", pages.statement, {"name": "privacy"}, name="privacy"),
    path("contacts/", pages.statement, {"name": "contacts"}, name="contacts"),
    path("", include("durvis.administration.urls")),
    path("", include("durvis.identity.urls")),
    path("", include("durvis.eforms.urls")),
    path("eaccount/", include("durvis.eaccount.urls")),
    path("payments/", include("durvis.payments.urls")),
    path("embed/services/", include("durvis.eaccount.embed_urls")),
    path("eaccount/messages/", include("durvis.messaging.urls")),
    path("eaccount/documents/", include("durvis.documents.urls")),
    path("eaccount/profile/", include("durvis.eaccount.profile_urls")),
    path("demo/mailbox/", include("durvis.demo.mailbox_urls")),
    path("staff/login/", signin.PasswordStepView.as_view(), name="staff-login"),
    path("staff/login/code/", signin.code_step, name="staff-login-code"),
    path("staff/login/enrol/", signin.enrol_step, name="staff-login-enrol"),
    path("staff/logout/", auth_views.LogoutView.as_view(), name="staff-logout"),
    path("staff/messages/", include("durvis.messaging.staff_urls")),
    path("staff/assistant/", include("durvis.eforms.assistant_urls")),
    prefix_default_language=False,
)
