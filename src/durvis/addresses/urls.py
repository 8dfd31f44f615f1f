from django.urls import path

from durvis.addresses import views

app_name = "addresses"
urlpatterns = [
    path("addresses/", views.search, name="search"),
    path("embed/addresses/", views.embed, name="embed"),
    path("embed/addresses.js", views.embed_script, name="embed-script"),
]
