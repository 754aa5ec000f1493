"""The decision log: one ordered, hash-chained, append-only log per incident.

- `models`: `DecisionLogEntry` and `LogCheckpoint` (registered through incidents.models);
- `chain`: appending an entry (the only writer);
- `verify`: recomputing a chain and naming its first broken link;
- `signing` and `checkpoints`: Ed25519-signed chain heads;
- `triggers`: the database triggers that refuse UPDATE and DELETE below the ORM.

Nothing here imports incidents.models (which imports `models` from here), so
the log reaches the Incident model through `incident_model()`.
"""
