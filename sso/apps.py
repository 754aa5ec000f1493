from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "sso"
    verbose_name = "Single sign-on"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from sso.groupmap import parse_group_map

        # Fail at start-up, not at the first sign-in, on a role name we do not know.
        parse_group_map(settings.OIDC_GROUP_MAP)
