"""API v1 routes of the learning loop: reviews and action items. Included into api.urls v1 at the root."""

from django.urls import path

from api.views import reviews

INC = "incidents/<int:incident_id>/review/"

urlpatterns = [
    path("reviews/", reviews.ReviewListView.as_view(), name="review-list"),
    path("taxonomies/", reviews.TaxonomyListView.as_view(), name="taxonomy-list"),
    path(INC, reviews.ReviewView.as_view(), name="review"),
    path(INC + "regenerate/", reviews.ReviewRegenerateView.as_view(), name="review-regenerate"),
    path(INC + "sign-off/", reviews.ReviewSignOffView.as_view(), name="review-sign-off"),
    path(INC + "publish/", reviews.ReviewPublishView.as_view(), name="review-publish"),
    path(INC + "addenda/", reviews.ReviewAddendumView.as_view(), name="review-addenda"),
    path(INC + "markdown/", reviews.ReviewMarkdownView.as_view(), name="review-markdown"),
    path("action-items/", reviews.ActionItemListView.as_view(), name="action-item-list"),
    path(
        "action-items/<int:item_id>/",
        reviews.ActionItemDetailView.as_view(),
        name="action-item-detail",
    ),
]
