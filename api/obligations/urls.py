"""API v1 routes of regulatory obligations. Included into api.urls v1 at the root."""

from django.urls import path

from api.obligations import views

INC = "incidents/<int:incident_id>/"
OBL = INC + "obligations/<int:obligation_id>/report/"

urlpatterns = [
    path("regulatory/regimes/", views.RegimeListView.as_view(), name="regime-list"),
    path(INC + "obligations/", views.ObligationListView.as_view(), name="obligation-list"),
    path(INC + "regulatory/triage/", views.TriageView.as_view(), name="regulatory-triage"),
    path(INC + "regulatory/moments/", views.MomentView.as_view(), name="regulatory-moments"),
    path(OBL, views.ReportView.as_view(), name="obligation-report"),
    path(OBL + "sign-off/", views.ReportSignOffView.as_view(), name="obligation-report-sign-off"),
    path(OBL + "submit/", views.ReportSubmitView.as_view(), name="obligation-report-submit"),
    path(OBL + "markdown/", views.ReportMarkdownView.as_view(), name="obligation-report-markdown"),
    path(OBL + "pdf/", views.ReportPdfView.as_view(), name="obligation-report-pdf"),
]
