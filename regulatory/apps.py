from django.apps import AppConfig


class RegulatoryConfig(AppConfig):
    name = "regulatory"
    verbose_name = "Regulatory obligations"

    def ready(self) -> None:
        from regulatory import checks  # noqa: F401  (registers the regime-file check)
