import pytest
from django.contrib.auth.models import Group
from django.test import Client

from shop.models import User


def make_staff(username: str, group: str | None) -> User:
    user = User.objects.create_user(
        username=username, email=f"{username}@example.com", password="pw", is_staff=True
    )
    if group:
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
