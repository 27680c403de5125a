from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Account pages (sign-up, password reset, order history, notifications) and the
    storefront's template helpers. No models."""

    name = "accounts"
