"""The staff page to write to a client (mounted under /staff/messages/)."""

from django.urls import path

from durvis.messaging import views

app_name = "staff-messages"
urlpatterns = [
    path("new/", views.staff_new_message, name="new"),
]
