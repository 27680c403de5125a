from django.apps import AppConfig


class ShanConfig(AppConfig):
    name = "shan"
