from django.urls import path

from durvis.catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.home, name="home"),
    path("services/", views.service_list, name="services"),
    path("services/<int:code>/", views.service_detail, name="service"),
    path("categories/<slug:slug>/", views.category, name="category"),
    path("life-situations/<slug:slug>/", views.life_situation, name="life-situation"),
    path("embed/", views.embed, name="embed"),
    path("embed.js", views.embed_script, name="embed-script"),
]
