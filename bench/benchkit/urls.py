"""The console's URLs plus the trivial views the benchmarks compare pages against.

Each baseline does the least a view of its kind can do, through the same
middleware on the same server: a page's ratio is its rate divided by its
baseline's, measured in the same run.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.authentication import AlertmanagerKeyAuthentication, HasIntegrationKey
from kit.parsers import BoundedJSONParser


def trivial(request: HttpRequest) -> HttpResponse:
    """Anonymous baseline: the smallest answer Django gives."""
    return HttpResponse("ok", content_type="text/plain")


def trivial_user(request: HttpRequest) -> HttpResponse:
    """Logged-in baseline: loads the session and the user, as every signed-in page must."""
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain")


class TrivialAlertPost(APIView):
    """Authenticated DRF POST baseline: the alert intake's authentication and parser, no work."""

    authentication_classes = [AlertmanagerKeyAuthentication]
    permission_classes = [HasIntegrationKey]
    parser_classes = [BoundedJSONParser]

    def post(self, request: Request) -> Response:
        return Response({"status": "ok", "keys": len(request.data)}, status=202)


urlpatterns = [
    path("bench/trivial/", trivial),
    path("bench/trivial-user/", trivial_user),
    path("bench/trivial-alert/", TrivialAlertPost.as_view()),
    path("", include("console.urls")),
]
