"""Admin for components' public details. Subscribers and their notices are deliberately absent:
their addresses are never shown (docs/statuspage.md, "Subscriptions")."""

from django.contrib import admin

from publicstatus.models import Component


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    list_display = ["public_name", "model", "group", "position", "customer_facing"]
    list_filter = ["group", "customer_facing"]
    search_fields = ["public_name", "model__name", "group"]
