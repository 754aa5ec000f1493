from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from glossary.models import VERSIONED_FIELDS, Term, TermVersion
from glossary.services import revise_term
from kit.users import signed_in_user

_VERSION_COLUMNS = (
    "version",
    "name",
    "plain_definition",
    "changed_by",
    "changed_at",
    "change_note",
)


class TermVersionInline(admin.TabularInline):
    model = TermVersion
    extra = 0
    can_delete = False
    fields = readonly_fields = _VERSION_COLUMNS

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ["name", "is_technical", "version", "updated_at"]
    list_filter = ["is_technical"]
    search_fields = ["name", "plain_definition", "technical_definition"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["version"]
    filter_horizontal = ["related"]
    inlines = [TermVersionInline]

    def save_model(self, request: HttpRequest, obj: Term, form: Any, change: bool) -> None:
        """Route edits through revise_term so every change becomes a version."""
        if not change:
            super().save_model(request, obj, form, change)
            TermVersion.objects.create(
                term=obj,
                version=obj.version,
                changed_by=signed_in_user(request),
                change_note="Created in admin",
                **{f: getattr(obj, f) for f in VERSIONED_FIELDS},
            )
            return
        changes = {f: form.cleaned_data[f] for f in VERSIONED_FIELDS if f in form.changed_data}
        obj.slug = form.cleaned_data.get("slug", obj.slug)
        if changes:
            revise_term(term=obj, by=signed_in_user(request), note="Edited in admin", **changes)
        elif "slug" in form.changed_data:
            Term.objects.filter(pk=obj.pk).update(slug=obj.slug, updated_at=timezone.now())
