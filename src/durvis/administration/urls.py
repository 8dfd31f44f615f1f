from django.urls import path

from durvis.administration import views

app_name = "administration"
urlpatterns = [
    path("administration/services/", views.service_list, name="services"),
    path("administration/services/new/", views.service_create, name="service-create"),
    path("administration/services/<int:code>/", views.service_edit, name="service-edit"),
]
