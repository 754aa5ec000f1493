"""Glossary terms with plain-language definitions and a version history."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse


class Term(models.Model):
    """The current version of a term; every version is kept in TermVersion."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    variants = models.JSONField(
        default=list,
        blank=True,
        help_text='Other spellings matched in text, e.g. ["false positives", "FP"]',
    )
    technical_definition = models.TextField()
    plain_definition = models.TextField(
        help_text="For executives, regulators and customers: no jargon."
    )
    examples = models.TextField(blank=True)
    is_technical = models.BooleanField(
        default=True, help_text="Flag the term in executive, regulator and customer renditions."
    )
    related = models.ManyToManyField("self", blank=True, symmetrical=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("glossary:term", args=[self.slug])

    def spellings(self) -> list[str]:
        return [self.name, *[v for v in self.variants if isinstance(v, str) and v]]


VERSIONED_FIELDS = (
    "name",
    "variants",
    "technical_definition",
    "plain_definition",
    "examples",
    "is_technical",
)


class TermVersionQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("Term versions are history: revise the term instead.")


class TermVersion(models.Model):
    """A past or current version of a term, kept readable forever."""

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=80)
    variants = models.JSONField(default=list, blank=True)
    technical_definition = models.TextField()
    plain_definition = models.TextField()
    examples = models.TextField(blank=True)
    is_technical = models.BooleanField(default=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    change_note = models.CharField(max_length=300, blank=True)

    objects = TermVersionQuerySet.as_manager()

    class Meta:
        ordering = ["term", "-version"]
        constraints = [models.UniqueConstraint(fields=["term", "version"], name="one_term_version")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Term versions are history: revise the term instead.")
        super().save(*args, **kwargs)
