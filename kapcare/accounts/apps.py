from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kapcare.accounts"
    label = "accounts"
