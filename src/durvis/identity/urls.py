"""Client sign-in and sign-out through the national sign-in (A12).

`urlpatterns` are pages (under the language prefix); `protocol_urlpatterns` are the fixed
addresses an identity provider calls back (registered with it, so outside the language prefix).
"""

from django.urls import path

from durvis.identity import signin_views

urlpatterns = [
    path("signin/", signin_views.choose, name="client-signin"),
    path("signin/start/", signin_views.start, name="client-signin-start"),
    path("signout/", signin_views.sign_out, name="client-signout"),
]

protocol_urlpatterns = [
    path("signin/oidc/callback", signin_views.oidc_callback, name="client-signin-oidc-callback"),
    path("signin/saml/metadata", signin_views.saml_metadata, name="client-signin-saml-metadata"),
    path("signin/saml/acs", signin_views.saml_acs, name="client-signin-saml-acs"),
]
