"""Sign-off is an independent check (#10 item 5).

The attacks: one user takes commander, regulator liaison and comms lead and
both signs off and publishes the regulator rendition; an admin rewrites a
signed-off rendition and it goes out under the original sign-off.
"""

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from comms import workflows
from comms.models import Rendition, StatusUpdate
from comms.services import create_draft, publish_update, sign_off, submit_for_signoff
from comms.signoff import FourEyesRequired
from incidents.choices import EntryKind, Role
from incidents.decision_log.models import DecisionLogEntry
from incidents.models import Playbook
from incidents.services import assign_role

WORDING = "No customer data was exposed."


@pytest.fixture
def solo(clock, commander, fraud_model):
    """An incident where the commander also holds the regulator liaison and comms lead roles."""
    incident = workflows.declare_incident(
        by=commander, title="FP surge", severity=2, models=[(fraud_model, "")]
    )
    for role in (Role.REGULATOR, Role.COMMS_LEAD):
        assign_role(incident=incident, role=role, user=commander, by=commander)
    return incident


@pytest.fixture
def signed(solo, commander):
    update = create_draft(
        incident=solo,
        by=commander,
        what_changed="Rolled back",
        renditions={"regulator": {"summary": WORDING}},
    )
    submit_for_signoff(update=update, by=commander)
    return sign_off(update=update, by=commander)


def _published_entries(incident):
    return DecisionLogEntry.objects.filter(
        incident=incident, kind=EntryKind.UPDATE_PUBLISHED
    ).count()


class TestFourEyes:
    def test_the_signer_cannot_publish_through_the_service(self, signed, commander):
        with pytest.raises(
            FourEyesRequired, match=r"Four eyes: you signed off the regulator rendition, so"
        ) as excinfo:
            publish_update(update=signed, by=commander)
        assert excinfo.value.field == "renditions.regulator"
        signed.refresh_from_db()
        assert (signed.status, _published_entries(signed.incident)) == ("awaiting_signoff", 0)

    def test_a_second_person_publishes(self, signed, commander, commander2):
        assign_role(incident=signed.incident, role=Role.COMMS_LEAD, user=commander2, by=commander)
        published = publish_update(update=signed, by=commander2)
        assert (published.status, published.published_by) == ("published", commander2)
        assert published.renditions.get().signed_off_by == commander

    def test_the_api_answers_409_naming_four_eyes(self, signed, commander):
        client = APIClient()
        client.force_authenticate(commander)
        url = f"/api/v1/incidents/{signed.incident_id}/updates/{signed.number}/publish/"
        response = client.post(url, {}, format="json")
        assert response.status_code == 409, response.content
        error = response.json()["error"]
        assert error["code"] == "four_eyes_required"
        assert "renditions.regulator" in error["fields"]
        assert StatusUpdate.objects.get(pk=signed.pk).status == "awaiting_signoff"

    def test_the_page_shows_the_refusal_beside_the_publish_button(self, signed, commander, client):
        client.force_login(commander)
        url = reverse("incidents:publish_update", args=[signed.incident_id, signed.number])
        response = client.post(url, {})
        assert response.status_code == 409
        html = response.content.decode()
        form = html[html.index('class="publish-form"') :]
        form = form[: form.index("</form>")]
        assert "Four eyes" in form and "Publish update" in form  # beside the button
        assert StatusUpdate.objects.get(pk=signed.pk).status == "awaiting_signoff"

    def test_the_page_tells_the_signer_before_they_press_publish(
        self, signed, commander, commander2, client
    ):
        assign_role(incident=signed.incident, role=Role.COMMS_LEAD, user=commander2, by=commander)
        note = f'id="four-eyes-{signed.number}"'
        client.force_login(commander)
        assert note in client.get(f"/incidents/{signed.incident_id}/").content.decode()
        client.force_login(commander2)
        assert note not in client.get(f"/incidents/{signed.incident_id}/").content.decode()

    def test_a_playbook_may_switch_it_off_for_a_solo_drill(self, signed, commander):
        Playbook.objects.create(name="Solo drill", severity=2, four_eyes_regulator=False)
        assert publish_update(update=signed, by=commander).is_published

    def test_it_is_on_by_default_for_playbooks(self, db):
        assert Playbook(name="Any").four_eyes_regulator is True


class TestChangesVoidTheSignOff:
    def _assert_voided(self, update, wording):
        rendition = Rendition.objects.get(update=update)
        assert (rendition.summary, rendition.signed_off_by, rendition.signed_off_at) == (
            wording,
            None,
            None,
        )
        voided = DecisionLogEntry.objects.filter(
            incident=update.incident, kind=EntryKind.SIGN_OFF
        ).last()
        assert voided.data["voided"] is True and voided.data["summary_signed"] == WORDING

    def test_an_orm_save_voids_and_logs(self, signed):
        rendition = Rendition.objects.get(update=signed)
        rendition.summary = "Some customer data was exposed."
        rendition.save()
        self._assert_voided(signed, "Some customer data was exposed.")

    def test_a_save_with_update_fields_voids_too(self, signed):
        rendition = Rendition.objects.get(update=signed)
        rendition.body = "Quietly added detail."
        rendition.save(update_fields=["body"])
        rendition = Rendition.objects.get(update=signed)
        assert (rendition.body, rendition.signed_off_at) == ("Quietly added detail.", None)

    def test_a_queryset_update_voids_in_the_database(self, signed):
        """QuerySet.update() skips save(); the database trigger voids the sign-off anyway."""
        Rendition.objects.filter(update=signed).update(summary="Rewritten with update().")
        rendition = Rendition.objects.get(update=signed)
        assert (rendition.summary, rendition.signed_off_by_id, rendition.signed_off_at) == (
            "Rewritten with update().",
            None,
            None,
        )

    def test_raw_sql_cannot_rewrite_and_keep_or_forge_the_sign_off(self, signed):
        rendition = Rendition.objects.get(update=signed)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE comms_rendition SET body = %s, signed_off_at = signed_off_at WHERE id = %s",
                ["Raw rewrite", rendition.pk],
            )
        rendition.refresh_from_db()
        assert (rendition.body, rendition.signed_off_at) == ("Raw rewrite", None)

    def test_a_save_without_changes_keeps_the_sign_off(self, signed):
        rendition = Rendition.objects.get(update=signed)
        rendition.save()
        assert Rendition.objects.get(update=signed).signed_off_at is not None

    def test_a_voided_rendition_cannot_be_published(self, signed, commander, commander2):
        assign_role(incident=signed.incident, role=Role.COMMS_LEAD, user=commander2, by=commander)
        rendition = Rendition.objects.get(update=signed)
        rendition.summary = "Rewritten after sign-off."
        rendition.save()
        with pytest.raises(Exception) as excinfo:
            publish_update(update=signed, by=commander2)
        assert "needs sign-off" in str(excinfo.value)

    def test_the_admin_change_view_refuses_a_signed_off_update(self, signed, admin_user, client):
        client.force_login(admin_user)
        rendition = Rendition.objects.get(update=signed)
        url = reverse("admin:comms_statusupdate_change", args=[signed.pk])
        page = client.get(url)
        assert (
            page.status_code == 200 and 'name="renditions-0-summary"' not in page.content.decode()
        )
        response = client.post(
            url,
            {
                "incident": signed.incident_id,
                "number": signed.number,
                "what_changed": "Rolled back",
                "author": signed.author_id,
                "renditions-TOTAL_FORMS": "1",
                "renditions-INITIAL_FORMS": "1",
                "renditions-MIN_NUM_FORMS": "0",
                "renditions-MAX_NUM_FORMS": "1000",
                "renditions-0-id": rendition.pk,
                "renditions-0-update": signed.pk,
                "renditions-0-audience": "regulator",
                "renditions-0-summary": "Rewritten in the admin.",
                "renditions-0-body": "",
            },
        )
        assert response.status_code == 403
        rendition.refresh_from_db()
        assert (rendition.summary, rendition.signed_off_by_id) == (
            WORDING,
            signed.renditions.get().signed_off_by_id,
        )
        assert rendition.signed_off_at is not None

    def test_the_admin_still_edits_an_unsigned_draft(self, solo, commander, admin_user, client):
        update = create_draft(
            incident=solo,
            by=commander,
            what_changed="Rolled back",
            renditions={"regulator": {"summary": WORDING}},
        )
        rendition = update.renditions.get()
        client.force_login(admin_user)
        url = reverse("admin:comms_statusupdate_change", args=[update.pk])
        response = client.post(
            url,
            {
                "incident": solo.pk,
                "number": update.number,
                "what_changed": "Rolled back",
                "author": commander.pk,
                "renditions-TOTAL_FORMS": "1",
                "renditions-INITIAL_FORMS": "1",
                "renditions-MIN_NUM_FORMS": "0",
                "renditions-MAX_NUM_FORMS": "1000",
                "renditions-0-id": rendition.pk,
                "renditions-0-update": update.pk,
                "renditions-0-audience": "regulator",
                "renditions-0-summary": "Edited in the admin.",
                "renditions-0-body": "",
            },
        )
        assert response.status_code == 302, response.context["errors"]
        assert Rendition.objects.get(pk=rendition.pk).summary == "Edited in the admin."
