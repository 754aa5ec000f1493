"""One incident through the API, as an integration would drive it."""

from __future__ import annotations

from tests.helpers import census, token_client


def test_declare_assign_decide_refuse_milestone_verify(
    commander, responder, commander2, fraud_model
):
    ic = token_client(commander)
    remy = token_client(responder)

    # 1. The commander declares; they become IC.
    r = ic.post(
        "/api/v1/incidents/",
        {
            "title": "Fraud FP surge",
            "severity": 2,
            "models": [{"slug": "fraud-scoring"}],
            "customers_affected": 800,
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    incident = r.json()["id"]
    base = f"/api/v1/incidents/{incident}"

    # 2. Roles: remy is scribe, conor the engineering liaison, then hands it to remy.
    assert (
        ic.post(f"{base}/roles/", {"role": "scribe", "user": "remy"}, format="json").status_code
        == 201
    )
    assert (
        ic.post(
            f"{base}/roles/", {"role": "liaison_engineering", "user": "conor"}, format="json"
        ).status_code
        == 201
    )
    handoff = ic.post(
        f"{base}/roles/",
        {"role": "liaison_engineering", "user": "remy", "note": "shift end"},
        format="json",
    )
    assert handoff.status_code == 201
    history = ic.get(f"{base}/roles/").json()["results"]
    engineering = [
        (a["user"], a["ended_at"] is None) for a in history if a["role"] == "liaison_engineering"
    ]
    assert engineering == [("conor", False), ("remy", True)]
    released = ic.post(f"{base}/roles/release/", {"role": "liaison_engineering"}, format="json")
    assert released.status_code == 204

    # 3. Remy asks for a decision; the IC takes it under the commander's right.
    ask = remy.post(
        f"{base}/log/",
        {
            "kind": "decision_request",
            "decision_type": "rollback_model",
            "question": "Roll back v42?",
        },
        format="json",
    )
    assert ask.status_code == 201
    decided = ic.post(
        f"{base}/log/",
        {
            "kind": "decision",
            "decision_type": "rollback_model",
            "decision": "Roll back to v41",
            "rationale": "FP rate doubled after v42",
            "options_considered": ["raise threshold", "roll back"],
            "reversible": True,
            "settles": ask.json()["sequence"],
        },
        format="json",
    )
    assert decided.status_code == 201, decided.json()
    assert decided.json()["actor_role"] == "commander"

    # 4. Remy, scribe only, may not disable the model: refused, nothing written.
    before = census()
    refused = remy.post(
        f"{base}/log/",
        {
            "kind": "decision",
            "decision_type": "disable_model",
            "decision": "Switch to rules",
            "rationale": "Safer",
        },
        format="json",
    )
    assert refused.status_code == 403
    message = refused.json()["error"]["message"]
    assert (
        "Incident commander" in message
        and "Engineering / SRE liaison" in message
        and "Scribe" in message
    )
    assert census() == before

    # 5. Contained, with the indicator that proves it.
    milestone = ic.post(
        f"{base}/milestones/",
        {"phase": "contained", "indicator": "FP rate < 2 % for 30 min"},
        format="json",
    )
    assert milestone.status_code == 201

    # 6. The chain is intact and every step is in it.
    verify = remy.get(f"{base}/log/verify/").json()
    log = ic.get(f"{base}/log/").json()
    assert verify["valid"] is True and verify["first_broken"] is None
    assert verify["entries"] == log["count"] == 9
    assert verify["head"] == log["results"][-1]["hash"]
    assert [e["kind"] for e in log["results"]] == [
        "declaration",
        "role_change",
        "role_change",
        "role_change",
        "role_change",
        "role_change",
        "decision_request",
        "decision",
        "milestone",
    ]
    detail = ic.get(base + "/").json()
    assert detail["phase"] == "contained"
    assert detail["counts"] == {
        "log_entries": 9,
        "decisions": 1,
        "decision_requests": 1,
        "corrections": 0,
    }
    assert sorted((x["role"], x["user"]) for x in detail["roles"]) == [
        ("commander", "cara"),
        ("scribe", "remy"),
    ]
