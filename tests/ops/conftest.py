import pytest
from django.contrib.auth.models import Group
from django.test import Client

from shop.models import User

# The simulators over live_server, a funded buyer, pricing and the clock of the pipeline tests.
from tests.pipeline.conftest import buyer, clock, pricing, products, sims  # noqa: F401


def make_staff(username: str, group: str | None) -> User:
    user = User.objects.create_user(
        username=username, email=f"{username}@example.com", password="pw", is_staff=True
    )
    if group:
        ensure_staff_groups()
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def support_client(db):
    client = Client()
    client.force_login(make_staff("sue-support", "support"))
    return client


@pytest.fixture
def finance_user(db):
    return make_staff("fin-finance", "finance")


@pytest.fixture
def finance_client(finance_user):
    client = Client()
    client.force_login(finance_user)
    return client


@pytest.fixture
def admin_group_client(db):
    client = Client()
    client.force_login(make_staff("ada-admin", "admin"))
    return client


def ensure_staff_groups() -> None:
    """A transactional test empties the tables after it, the staff groups the migration made
    included: make them again as the migration does, for whichever test comes next."""
    if not Group.objects.filter(name="support").exists():
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        from ops.groups import sync_staff_groups

        sync_staff_groups(MigrationExecutor(connection).loader.project_state().apps)


@pytest.fixture
def staff_groups(transactional_db):
    ensure_staff_groups()


def staff_client(username: str, group: str | None) -> Client:
    client = Client()
    client.force_login(make_staff(username, group))
    return client
