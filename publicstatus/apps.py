from django.apps import AppConfig


class PublicStatusConfig(AppConfig):
    name = "publicstatus"
    verbose_name = "Public status page"
