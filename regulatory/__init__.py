"""Regulatory obligations: which reporting regimes apply to an incident, their deadlines
(clocks like the update cadence), and the reports that meet them. See docs/regulatory.md."""
