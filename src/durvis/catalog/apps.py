from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "durvis.catalog"
    label = "catalog"
