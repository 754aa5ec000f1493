from incidents.log import verify_chain


def test_declared_incident_has_a_valid_chain(incident):
    report = verify_chain(incident.pk)
    assert report.valid, report.first_broken
    assert report.entries == 2  # declaration + commander assignment
