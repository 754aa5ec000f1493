"""The demo data `seed_demo` loads: one module per incident scenario, plus what they share.

- `catalogue`: personas, watched models with impact rules, playbooks;
- `metric_traces`: a week of health metrics per model;
- `base`: `Demo`, what each scenario is given;
- `scenarios`: the incident scenarios in the order they are seeded, one module each
  (`fraud_surge`, `credit_drift`, `recommender_latency`, `fraud_drill`).

Only `console` imports this package (the command lives in console/management).
"""
