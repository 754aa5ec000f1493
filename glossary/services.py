"""Create and revise glossary terms, keeping every version."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.text import slugify

from glossary.models import VERSIONED_FIELDS, Term, TermVersion
from kit.errors import Conflict, DomainError
from kit.text import required_text


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    for name in ("name", "technical_definition", "plain_definition"):
        if name in fields:
            required_text(str(fields[name]), name)  # checked, stored as given
    if "variants" in fields:
        variants = fields["variants"]
        if not isinstance(variants, list) or not all(
            isinstance(v, str) and v.strip() for v in variants
        ):
            raise DomainError("variants must be a list of non-empty strings.", field="variants")
        fields["variants"] = [v.strip() for v in variants]
    return fields


def _snapshot(term: Term, by: User | None, note: str) -> TermVersion:
    return TermVersion.objects.create(
        term=term,
        version=term.version,
        changed_by=by,
        change_note=note,
        **{f: getattr(term, f) for f in VERSIONED_FIELDS},
    )


def create_term(
    *,
    by: User | None,
    name: str,
    technical_definition: str,
    plain_definition: str,
    variants: list[str] | None = None,
    examples: str = "",
    is_technical: bool = True,
    related: list[Term] | None = None,
) -> Term:
    fields = _clean(
        {
            "name": name,
            "technical_definition": technical_definition,
            "plain_definition": plain_definition,
            "variants": variants or [],
            "examples": examples,
            "is_technical": is_technical,
        }
    )
    slug = slugify(fields["name"])
    if not slug:
        raise DomainError("name must contain letters or digits.", field="name")
    with transaction.atomic():
        if (
            Term.objects.filter(slug=slug).exists()
            or Term.objects.filter(name__iexact=fields["name"]).exists()
        ):
            raise Conflict(
                f"A term named {fields['name']!r} exists; revise it instead.", field="name"
            )
        term = Term.objects.create(slug=slug, version=1, **fields)
        if related:
            term.related.set(related)
        _snapshot(term, by, "Created")
    return term


def revise_term(*, term: Term, by: User | None, note: str = "", **changes: Any) -> Term:
    """Apply changes as a new version; earlier versions stay readable."""
    unknown = set(changes) - set(VERSIONED_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise DomainError(f"{name} is not a revisable field.", field=name)
    changes = _clean(changes)
    with transaction.atomic():
        term = Term.objects.select_for_update().get(pk=term.pk)
        if (
            "name" in changes
            and Term.objects.filter(name__iexact=changes["name"]).exclude(pk=term.pk).exists()
        ):
            raise Conflict(f"Another term is named {changes['name']!r}.", field="name")
        if all(getattr(term, k) == v for k, v in changes.items()):
            raise Conflict("The revision changes nothing.", field="non_field_errors")
        for key, value in changes.items():
            setattr(term, key, value)
        term.version += 1
        term.save()
        _snapshot(term, by, note)
    return term
