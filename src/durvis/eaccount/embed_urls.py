"""The embed entry of a service's e-form, under /embed/services/ (A10; `embed.py`)."""

from django.urls import path

from durvis.eaccount import embed

app_name = "embed"
urlpatterns = [
    path("<int:code>/apply/", embed.apply, name="apply"),
    path("<int:code>/signed-in/", embed.signed_in, name="signed-in"),
]
