"""The e-account's profile pages: contacts and notification preferences (mounted under
/eaccount/profile/)."""

from django.urls import path

from durvis.eaccount import profile

app_name = "profile"
urlpatterns = [
    path("", profile.contacts, name="contacts"),
    path("confirm/", profile.confirm, name="confirm"),
    path("notifications/", profile.preferences, name="preferences"),
]
