from django.apps import AppConfig


class LearningConfig(AppConfig):
    """The learning loop: communication metrics, post-incident reviews with action items, drills.

    Builds on incidents and comms; nothing there imports this app.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "learning"
