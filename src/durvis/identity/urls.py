"""Client sign-in and sign-out through the national sign-in (A12)."""

from django.urls import path

from durvis.identity import signin_views

urlpatterns = [
    path("signin/", signin_views.choose, name="client-signin"),
    path("signout/", signin_views.sign_out, name="client-signout"),
]
