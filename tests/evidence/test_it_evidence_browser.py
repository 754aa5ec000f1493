"""A commander downloads the evidence pack from the incident page in real Chromium, and it verifies."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import Page

from incidents.decision_log.signing import generate_private_key, public_key_text
from tests.builders import declare_resolved, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_commander_downloads_a_pack_that_verifies(
    page: Page, live_server, sign_in, console_errors, fraud_model, tmp_path, settings
):
    from incidents.choices import GROUP_COMMANDER, GROUP_RESPONDER

    signer = generate_private_key(tmp_path / "log.pem")
    settings.LOG_SIGNING_KEY_FILE = str(tmp_path / "log.pem")
    cara = make_user("cara", GROUP_COMMANDER, GROUP_RESPONDER, first_name="Cara")
    incident = declare_resolved(cara, fraud_model, "Fraud model false-positive surge")

    sign_in("cara", next_path=f"/incidents/{incident.pk}/")
    with page.expect_download() as caught:
        page.get_by_role("link", name="Download the evidence pack (ZIP)").click()
    download = caught.value
    assert download.suggested_filename.startswith(f"{incident.reference}-evidence-")
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    out = StringIO()
    call_command(
        "verify_evidence", str(path), "--public-key", public_key_text(signer.public_key), stdout=out
    )
    assert f"{incident.reference}: verified." in out.getvalue()
    assert console_errors == []
