from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _admin_group_gets_new_permissions(sender, **kwargs) -> None:
    """The `admin` staff group holds every permission, also those added after it was made;
    support and finance get theirs as their models appear (ops.groups)."""
    from django.contrib.auth.models import Group, Permission

    from ops.groups import staff_groups_grant_listed_permissions

    group = Group.objects.filter(name="admin").first()
    if group is not None:
        group.permissions.add(*Permission.objects.all())
    staff_groups_grant_listed_permissions()


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        post_migrate.connect(_admin_group_gets_new_permissions, sender=self)
        # Imported here: models and services load once the app registry is ready.
        from ops.models import WebhookBodyReveal
        from webhooks.services import webhook_prune_keep

        # a delivery whose body staff revealed stays: the reveal's audit record points at it
        webhook_prune_keep(delivery_ids=lambda: WebhookBodyReveal.objects.values("delivery_id"))
