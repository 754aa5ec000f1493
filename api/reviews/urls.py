"""API v1 routes of the learning loop: post-incident reviews and the taxonomies. Included into api.urls v1 at the root."""

from django.urls import path

from api.reviews import views

INC = "incidents/<int:incident_id>/review/"

urlpatterns = [
    path("reviews/", views.ReviewListView.as_view(), name="review-list"),
    path("taxonomies/", views.TaxonomyListView.as_view(), name="taxonomy-list"),
    path(INC, views.ReviewView.as_view(), name="review"),
    path(INC + "regenerate/", views.ReviewRegenerateView.as_view(), name="review-regenerate"),
    path(INC + "sign-off/", views.ReviewSignOffView.as_view(), name="review-sign-off"),
    path(INC + "publish/", views.ReviewPublishView.as_view(), name="review-publish"),
    path(INC + "addenda/", views.ReviewAddendumView.as_view(), name="review-addenda"),
    path(INC + "markdown/", views.ReviewMarkdownView.as_view(), name="review-markdown"),
]
