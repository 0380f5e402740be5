from django.apps import AppConfig


class PortableConfig(AppConfig):
    name = "portable"
    verbose_name = "Portable portfolios"
