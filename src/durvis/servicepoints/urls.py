from django.urls import path

from durvis.servicepoints import views

app_name = "servicepoints"
urlpatterns = [
    path("services/<int:code>/in-person/", views.nearest, name="nearest"),
    path("service-points/<int:pk>/", views.detail, name="point"),
]
