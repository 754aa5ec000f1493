from django.apps import AppConfig


class LearningConfig(AppConfig):
    """The learning loop: communication metrics, post-incident reviews with action items, drills.

    Builds on incidents and comms; nothing there imports this app.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "learning"

    def ready(self) -> None:
        from comms import fanout
        from learning import drills

        # A drill started with "suppress external" keeps its notifications in-app.
        fanout.external_suppressed = drills.suppresses_external
