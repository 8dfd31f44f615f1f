"""The demo OpenID Connect provider's endpoints, under /demo/idp/ (the issuer's address)."""

from django.urls import path

from durvis.demo import idp_views

app_name = "demo-idp"
urlpatterns = [
    path(".well-known/openid-configuration", idp_views.discovery, name="discovery"),
    path("jwks", idp_views.jwks, name="jwks"),
    path("authorize", idp_views.authorize, name="authorize"),
    path("token", idp_views.token, name="token"),
    path("userinfo", idp_views.userinfo, name="userinfo"),
]
