"""Moving incidents with their whole decision log between installations.

- `export`: stream incidents as JSON Lines (`manage.py export_incidents`);
- `restore`: read such a file back in one transaction and verify every chain
  before committing (`manage.py import_incidents`).

docs/operations.md ("Backups and restore") says what a file holds and what the
import verifies.
"""

FORMAT = "icc-incidents"
VERSION = 1
