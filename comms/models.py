"""Status updates, renditions, cadence, subscriptions and deliveries.

Filled in by the comms issue; the app exists so the dependency direction
(comms → incidents, never back) is fixed from the start.
"""
