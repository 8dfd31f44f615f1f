"""The e-service assistant's pages for client-service agents (A3), mounted under
`/staff/assistant/`."""

from django.urls import path

from durvis.eforms import assistant_views as views

app_name = "assistant"
urlpatterns = [
    path("", views.home, name="home"),
    path("originals/", views.originals, name="originals"),
    path("services/<int:code>/", views.start, name="start"),
    path("<uuid:reference>/check/", views.check, name="check"),
    path("<uuid:reference>/summary.pdf", views.summary_pdf, name="summary"),
    path("<uuid:reference>/scan/", views.scan, name="scan"),
    path("<uuid:reference>/submitted/", views.done, name="done"),
    path("<uuid:reference>/<slug:page>/", views.page, name="page"),
]
