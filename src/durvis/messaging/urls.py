"""Pages of the e-account's inbox (mounted under /eaccount/messages/)."""

from django.urls import path

from durvis.messaging import views

app_name = "inbox"
urlpatterns = [
    path("", views.inbox_list, name="list"),
    path("new/", views.write, name="write"),
    path("<int:pk>/", views.thread_detail, name="thread"),
    path("<int:pk>/reply/", views.thread_reply, name="reply"),
    path("<int:pk>/archive/", views.thread_archive, name="archive"),
]
