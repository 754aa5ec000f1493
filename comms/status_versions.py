"""The data-version counters of the status pages and the Statuspage API (kit.versions).

PUBLIC counts changes to what customers can see: incidents, published updates
and their renditions, monitored models and their links to incidents.
EXECUTIVE counts those and what the executive page adds: deadlines (next
update times, snoozes), metric points (the trend chart) and glossary terms
(the explanations inline). A metric point arriving every minute therefore
re-renders the executive page, never the public one.

Table names are literal: the migration that installs the triggers
(comms 0008) calls these declarations, and its SQL must not change.
"""

from kit.versions import VersionCounter

PUBLIC_TABLES = (
    "incidents_incident",
    "comms_statusupdate",
    "comms_rendition",
    "incidents_monitoredmodel",
    "incidents_affectedmodel",
)

# Added later by publicstatus 0002 (components, maintenance and its updates, and the
# maintenance-component links): a separate counter declaration, so 0008's SQL stays as shipped.
PUBLIC_STATUS_TABLES = (
    "publicstatus_component",
    "publicstatus_maintenance",
    "publicstatus_maintenanceupdate",
    "publicstatus_maintenance_components",
)

PUBLIC = VersionCounter("status_public", PUBLIC_TABLES)
EXECUTIVE = VersionCounter(
    "status_executive",
    (*PUBLIC_TABLES, "comms_deadline", "incidents_metricpoint", "glossary_term"),
)
COUNTERS = (PUBLIC, EXECUTIVE)
# The same public counter, bumped by the public status page's own tables too.
PUBLIC_STATUS = VersionCounter("status_public", PUBLIC_STATUS_TABLES)
