"""Hotwash's integrations with outside systems: one folder each.

Alert sources (alertmanager/, grafana/, generic/, sns/) implement
alerts.sources.AlertSourceKind; trackers (github/, gitlab/, jira/)
implement trackers.registry.Tracker. Each folder holds the system's parser
or client, its webhook checks and its registration; its settings are
Django settings (settings.py) and its documentation is a section of
docs/integrations.md, which also says how to add one.
"""
