"""Pages of the e-account's documents section (mounted under /eaccount/documents/)."""

from django.urls import path

from durvis.documents import views

app_name = "documents"
urlpatterns = [
    path("", views.document_list, name="list"),
    path("upload/", views.upload, name="upload"),
    path("<int:pk>/download/", views.download, name="download"),
    path("<int:pk>/sign/", views.sign, name="sign"),
]
