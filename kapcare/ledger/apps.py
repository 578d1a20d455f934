from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "kapcare.ledger"
    label = "ledger"
    verbose_name = "Controlled-substance ledger"
