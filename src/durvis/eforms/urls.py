"""The application journey's addresses (A10): the start from a service, the form's pages, check
your answers, the ends, and the e-account's applications in progress."""

from django.urls import path

from durvis.eforms import prefill_views, views

app_name = "eforms"

urlpatterns = [
    path("services/<int:code>/apply/", views.start, name="start"),
    path("eaccount/applications/", views.applications, name="applications"),
    path("eaccount/applications/<uuid:reference>/check/", views.check, name="check"),
    path("eaccount/applications/<uuid:reference>/not-eligible/", views.ended, name="ended"),
    path("eaccount/applications/<uuid:reference>/submitted/", views.done, name="done"),
    path("eaccount/applications/<uuid:reference>/discard/", views.discard, name="discard"),
    path("eaccount/applications/<uuid:reference>/<slug:page>/", views.page, name="page"),
    # A holder's system's prefilled opening (`durvis.eforms.prefill.LINK_PATH`).
    path("applications/prefill/<str:token>/", prefill_views.prefilled, name="prefilled"),
]
