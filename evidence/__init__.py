"""Evidence packs: one incident's record as a ZIP a regulator can verify offline.

`pack.py` builds the pack from the database; `verify.py` checks one, reading
nothing but the ZIP and the public keys it is given (`manage.py verify_evidence`).
The format is described in docs/regulatory.md, "Evidence packs".
"""
