"""Pages of the learning loop: post-incident reviews and action items (mounted at /reviews/)."""

from django.urls import path

from learning.pages import reviews as pages

app_name = "reviews"
urlpatterns = [
    path("", pages.review_list, name="list"),
    path("action-items/", pages.action_items, name="action-items"),
    path("action-items/<int:item_id>/status/", pages.item_status, name="action-item-status"),
    path("<int:incident_id>/", pages.review_detail, name="detail"),
    path("<int:incident_id>/start/", pages.start, name="start"),
    path("<int:incident_id>/edit/", pages.edit, name="edit"),
    path("<int:incident_id>/regenerate/", pages.regenerate, name="regenerate"),
    path("<int:incident_id>/sign-off/", pages.sign_off, name="sign-off"),
    path("<int:incident_id>/publish/", pages.publish, name="publish"),
    path("<int:incident_id>/addenda/", pages.add_addendum, name="addendum"),
    path("<int:incident_id>/action-items/", pages.create_item, name="create-item"),
    path("<int:incident_id>/markdown/", pages.review_markdown, name="markdown"),
    path("<int:incident_id>/print/", pages.review_print, name="print"),
]
