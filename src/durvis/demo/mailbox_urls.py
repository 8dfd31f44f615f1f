"""The demo mailbox's pages, under /demo/mailbox/ (demo mode only)."""

from django.urls import path

from durvis.demo import mailbox

app_name = "demo-mailbox"
urlpatterns = [
    path("", mailbox.mailbox, name="list"),
    path("<str:file>/<int:index>/", mailbox.message, name="message"),
]
