from django.conf import settings
from django.db import models


class SsoIdentity(models.Model):
    """Tie a console user to one subject at one issuer.

    The pair (issuer, subject) is the only identifier OpenID Connect promises to be stable
    and never reassigned; an e-mail address can change hands or be edited by the user at
    some providers, so matching on it alone would let one person inherit another's account.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identity"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="sso_identity_unique_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
