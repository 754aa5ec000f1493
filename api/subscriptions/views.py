"""Subscriptions: one's own (inbox and e-mail) and, for commanders, external endpoints."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView, acting_user
from api.subscriptions import serializers as s
from api.subscriptions.permissions import SelfServiceAccess
from comms import subscriptions as services
from comms.models import Subscription
from kit.openapi import document

TAG = ["subscriptions"]


def subscription_queryset(user: User) -> QuerySet[Subscription]:
    return (
        services.visible_to(user)
        .select_related("user")
        .prefetch_related("monitored_models")
        .order_by("name", "pk")
    )


def get_subscription(request: Request, subscription_id: int) -> Subscription:
    """Return a subscription the caller may see, or 404 (others' are not even named)."""
    return get_object_or_404(subscription_queryset(acting_user(request)), pk=subscription_id)


def subscription_response(
    request: Request,
    subscription: Subscription,
    serializer: type = s.SubscriptionSerializer,
    status_code: int = 200,
) -> Response:
    return Response(serializer(get_subscription(request, subscription.pk)).data, status=status_code)


class SubscriptionListView(ApiView):
    permission_classes = [SelfServiceAccess]

    @document(tags=TAG, responses=s.SubscriptionSerializer(many=True))
    def get(self, request: Request) -> Response:
        """List your subscriptions (commanders: and every endpoint subscription; admins: all)."""
        return self.paginated(subscription_queryset(acting_user(request)), s.SubscriptionSerializer)

    @document(
        tags=TAG,
        request=s.SubscriptionCreateSerializer,
        responses={201: s.SubscriptionSecretSerializer},
    )
    def post(self, request: Request) -> Response:
        """Subscribe yourself or (commanders, admins) an endpoint; a webhook's secret shows once."""
        body = s.SubscriptionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        subscription = services.create_subscription(by=acting_user(request), **body.validated_data)
        response = subscription_response(request, subscription, s.SubscriptionSecretSerializer, 201)
        response["Location"] = reverse("v1:subscription-detail", args=[subscription.pk])
        return response


class SubscriptionDetailView(ApiView):
    permission_classes = [SelfServiceAccess]

    @document(tags=TAG, responses=s.SubscriptionSerializer)
    def get(self, request: Request, subscription_id: int) -> Response:
        """Show one subscription (never its secret)."""
        return Response(s.SubscriptionSerializer(get_subscription(request, subscription_id)).data)

    @document(tags=TAG, request=s.SubscriptionEditSerializer, responses=s.SubscriptionSerializer)
    def patch(self, request: Request, subscription_id: int) -> Response:
        """Change some fields; the channel stays."""
        subscription = get_subscription(request, subscription_id)
        body = s.SubscriptionEditSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.update_subscription(
            subscription=subscription, by=acting_user(request), **body.validated_data
        )
        return subscription_response(request, subscription)

    @document(tags=TAG, responses={204: None})
    def delete(self, request: Request, subscription_id: int) -> Response:
        """Remove a subscription; past deliveries stay listed."""
        services.delete_subscription(
            subscription=get_subscription(request, subscription_id), by=acting_user(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubscriptionRotateSecretView(ApiView):
    permission_classes = [SelfServiceAccess]

    @document(tags=TAG, request=None, responses=s.SubscriptionSecretSerializer)
    def post(self, request: Request, subscription_id: int) -> Response:
        """Give a webhook subscription a new signing secret, shown only in this answer."""
        subscription = get_subscription(request, subscription_id)
        services.rotate_secret(subscription=subscription, by=acting_user(request))
        return subscription_response(request, subscription, s.SubscriptionSecretSerializer)


class SubscriptionTestView(ApiView):
    permission_classes = [SelfServiceAccess]

    @document(tags=TAG, request=None, responses={202: s.TestSendSerializer})
    def post(self, request: Request, subscription_id: int) -> Response:
        """Send a test message through the subscription's channels (workers send after commit)."""
        rows = services.send_test(
            subscription=get_subscription(request, subscription_id), by=acting_user(request)
        )
        return Response(
            s.TestSendSerializer({"deliveries": rows}).data, status=status.HTTP_202_ACCEPTED
        )
