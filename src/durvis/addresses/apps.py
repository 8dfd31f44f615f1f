from django.apps import AppConfig


class AddressesConfig(AppConfig):
    name = "durvis.addresses"
    label = "addresses"
    verbose_name = "State Address Register"
