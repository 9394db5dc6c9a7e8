"""The engine layer: BPMN process definitions run on SpiffWorkflow, persisted with SQLAlchemy.

Nothing in this package imports Flask or :mod:`webapp`; the web app, the CLI, the timer worker
and the tests all drive the same functions.
"""
