"""Synthetic data at scale (manage.py seed_synthetic): clinics with their shipped settings,
clients at every stage of the pathway, and everything a course leaves behind.

Rows are built in Python from one seeded random generator and written in bulk (COPY on
PostgreSQL, bulk_create elsewhere), never through the per-row services: the services are for
one change at a time. What the services would compute is computed here with the same pure
functions (scoring, screening rules, monitoring thresholds, the ledger's and the audit
trail's hash chains), so the data reads and verifies like data the app wrote.

One module per domain: clinics (setup through the real services), pathway (clients, care
teams, intake, screening, consent, courses), notes, dosing, measures, ledger, audit; `stories`
plans each client's way through, `sink` writes the rows and `run` ties them together.
"""
