from django.urls import path

from console.pages import incident_actions as actions
from console.pages import incident_detail as detail
from console.pages import incident_list as listing
from console.pages import regulatory, update_composer

app_name = "incidents"
urlpatterns = [
    path("", listing.incident_list, name="list"),
    path("declare/", listing.declare, name="declare"),
    path("<int:pk>/", detail.detail, name="detail"),
    path("<int:pk>/log/", detail.timeline, name="timeline"),
    path("<int:pk>/regulatory/", regulatory.obligations_page, name="regulatory"),
    path("<int:pk>/regulatory/moments/", regulatory.record_moment, name="regulatory_moment"),
    path("<int:pk>/regulatory/triage/<slug:regime>/", regulatory.triage, name="regulatory_triage"),
    path("<int:pk>/regulatory/<int:oid>/", regulatory.report_page, name="regulatory_report"),
    path(
        "<int:pk>/regulatory/<int:oid>/save/",
        regulatory.save_report,
        name="regulatory_report_save",
    ),
    path(
        "<int:pk>/regulatory/<int:oid>/sign-off/",
        regulatory.sign_off_report,
        name="regulatory_report_sign_off",
    ),
    path(
        "<int:pk>/regulatory/<int:oid>/submit/",
        regulatory.submit_report,
        name="regulatory_report_submit",
    ),
    path("<int:pk>/notes/", actions.add_note, name="add_note"),
    path("<int:pk>/decisions/", actions.record_decision, name="record_decision"),
    path("<int:pk>/decision-requests/", actions.request_decision, name="request_decision"),
    path("<int:pk>/milestones/", actions.reach_milestone, name="reach_milestone"),
    path("<int:pk>/severity/", actions.change_severity, name="change_severity"),
    path("<int:pk>/roles/", actions.assign_role, name="assign_role"),
    path("<int:pk>/roles/release/", actions.release_role, name="release_role"),
    path("<int:pk>/snooze/", actions.snooze, name="snooze"),
    path("<int:pk>/updates/", update_composer.create_update, name="create_update"),
    path("<int:pk>/updates/jargon/", update_composer.jargon_check, name="jargon_check"),
    path("<int:pk>/updates/<int:number>/edit/", update_composer.edit_update, name="edit_update"),
    path(
        "<int:pk>/updates/<int:number>/submit/", update_composer.submit_update, name="submit_update"
    ),
    path(
        "<int:pk>/updates/<int:number>/sign-off/",
        update_composer.sign_off_update,
        name="sign_off_update",
    ),
    path(
        "<int:pk>/updates/<int:number>/publish/",
        update_composer.publish_update,
        name="publish_update",
    ),
]
