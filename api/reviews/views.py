"""Post-incident reviews over the API (and the taxonomies they are classified against).

The pages' permission rules hold here too.

Reading: responders and commanders read every rendition; executives the
technical and executive renditions of published reviews; regulator viewers
only the signed-off regulator rendition of published reviews. A review the
caller may not see is a 404; a rendition they may not read is a 403.
Writing: responders and commanders (the services check who leads, who signs off).
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import Http404
from django.urls import reverse
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView, acting_user, get_incident
from api.reviews import serializers as s
from api.reviews.permissions import ReviewAccess, TaxonomyAccess
from audit.middleware import mark_regulator_read
from kit.openapi import document
from learning import actions, taxonomies
from learning.markdown import filename, to_markdown
from learning.models import Review
from learning.reviews import renditions as review_renditions
from learning.reviews import rights as review_rights
from learning.reviews import services as review_services
from learning.reviews import vocabulary as review_vocabulary

TAG = ["reviews"]


def get_review(incident_id: int) -> Review:
    review = (
        Review.objects.select_related("incident", "published_by", "regulator_signed_off_by")
        .filter(incident_id=incident_id)
        .first()
    )
    if review is None:
        raise Http404("No review.")
    return review


def pick_audience(request: Request, review: Review) -> str:
    allowed = review_rights.audiences_for(acting_user(request), review)
    if not allowed:
        raise Http404("No review.")
    query = s.AudienceQuerySerializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    audience = query.validated_data.get("audience") or allowed[0]
    if audience not in allowed:
        raise PermissionDenied(f"The {audience} rendition of this review is not shown to you.")
    if audience == review_vocabulary.REGULATOR:
        mark_regulator_read(request)  # the audit trail records who read the disclosure
    return audience


def review_response(
    request: Request,
    review: Review,
    audience: str | None = None,
    status_code: int = status.HTTP_200_OK,
) -> Response:
    review = get_review(review.incident_id)
    audience = audience or pick_audience(request, review)
    data = review_renditions.rendition_of(review, audience)
    data |= {
        "available_audiences": review_rights.audiences_for(acting_user(request), review),
        "markdown_url": reverse("v1:review-markdown", args=[review.incident_id])
        + f"?audience={audience}",
    }
    return Response(s.ReviewSerializer(data).data, status=status_code)


class ReviewListView(ApiView):
    permission_classes = [ReviewAccess]

    @document(tags=TAG, responses=s.ReviewSummarySerializer(many=True))
    def get(self, request: Request) -> Response:
        """List the reviews the caller may read, most recently resolved incident first."""
        listed = (
            review_rights.visible_reviews(acting_user(request))
            .select_related("incident")
            .defer("generated")
            .annotate(
                open_items=Count(
                    "incident__action_items",
                    filter=Q(incident__action_items__status__in=actions.OPEN_STATUSES),
                )
            )
            .order_by("-incident__resolved_at", "-pk")
        )
        return self.paginated(listed, s.ReviewSummarySerializer)


class ReviewView(ApiView):
    permission_classes = [ReviewAccess]

    @document(tags=TAG, parameters=[s.AudienceQuerySerializer], responses=s.ReviewSerializer)
    def get(self, request: Request, incident_id: int) -> Response:
        """Read one rendition of the incident's review (technical, executive or regulator)."""
        return review_response(request, get_review(incident_id))

    @document(tags=TAG, request=None, responses={201: s.ReviewSerializer})
    def post(self, request: Request, incident_id: int) -> Response:
        """Start the review of a resolved incident: a draft generated from its record."""
        review = review_services.start_review(
            incident=get_incident(incident_id), by=acting_user(request)
        )
        response = review_response(request, review, status_code=status.HTTP_201_CREATED)
        response["Location"] = reverse("v1:review", args=[incident_id])
        return response

    @document(tags=TAG, request=s.ReviewEditSerializer, responses=s.ReviewSerializer)
    def patch(self, request: Request, incident_id: int) -> Response:
        """Edit the draft; a published review answers 409 (add an addendum instead)."""
        review = get_review(incident_id)
        body = s.ReviewEditSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = review_services.edit_review(
            review=review, by=acting_user(request), **body.validated_data
        )
        return review_response(request, review)


class ReviewRegenerateView(ApiView):
    permission_classes = [ReviewAccess]

    @document(tags=TAG, request=None, responses=s.ReviewSerializer)
    def post(self, request: Request, incident_id: int) -> Response:
        """Take the generated record again from the incident (drafts only)."""
        review = review_services.regenerate_review(
            review=get_review(incident_id), by=acting_user(request)
        )
        return review_response(request, review)


class ReviewSignOffView(ApiView):
    permission_classes = [ReviewAccess]

    @document(tags=TAG, request=None, responses=s.ReviewSerializer)
    def post(self, request: Request, incident_id: int) -> Response:
        """Sign off the regulator disclosure: only the incident's regulator liaison may."""
        review = review_services.sign_off_regulator(
            review=get_review(incident_id), by=acting_user(request)
        )
        return review_response(request, review)


class ReviewPublishView(ApiView):
    permission_classes = [ReviewAccess]

    @document(tags=TAG, request=None, responses=s.ReviewSerializer)
    def post(self, request: Request, incident_id: int) -> Response:
        """Publish: the review turns immutable, is logged, and the incident reaches "reviewed"."""
        review = review_services.publish_review(
            review=get_review(incident_id), by=acting_user(request)
        )
        return review_response(request, review)


class ReviewAddendumView(ApiView):
    permission_classes = [ReviewAccess]

    @document(
        tags=TAG, request=s.ReviewAddendumInSerializer, responses={201: s.ReviewAddendumSerializer}
    )
    def post(self, request: Request, incident_id: int) -> Response:
        """Append a later finding to a published review (numbered, logged, immutable)."""
        review = get_review(incident_id)
        body = s.ReviewAddendumInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        addendum = review_services.add_addendum(
            review=review, by=acting_user(request), body=body.validated_data["body"]
        )
        data = {
            "number": addendum.number,
            "body": addendum.body,
            "created_at": addendum.created_at,
            "author": acting_user(request).get_username(),
        }
        return Response(s.ReviewAddendumSerializer(data).data, status=status.HTTP_201_CREATED)


class ReviewMarkdownView(ApiView):
    permission_classes = [ReviewAccess]

    @document(
        tags=TAG, parameters=[s.AudienceQuerySerializer], responses=s.ReviewMarkdownSerializer
    )
    def get(self, request: Request, incident_id: int) -> Response:
        """Export one rendition as Markdown."""
        review = get_review(incident_id)
        audience = pick_audience(request, review)
        r = review_renditions.rendition_of(review, audience)
        return Response(
            s.ReviewMarkdownSerializer(
                {"audience": audience, "filename": filename(r), "markdown": to_markdown(r)}
            ).data
        )


class TaxonomyListView(ApiView):
    permission_classes = [TaxonomyAccess]
    pagination_class = None  # type: ignore[assignment]  # a short list: unpaginated

    @document(tags=TAG, responses=s.TaxonomySerializer(many=True))
    def get(self, request: Request) -> Response:
        """List the AI-incident taxonomies reviews are classified against, with their dimensions."""
        return Response(
            s.TaxonomySerializer(
                [t.as_dict() for t in taxonomies.all_taxonomies().values()], many=True
            ).data
        )
