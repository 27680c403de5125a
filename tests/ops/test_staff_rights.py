"""Support staff manage customers but cannot grant rights: not to a customer, not to
themselves, and they cannot change a staff account (or its password)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from shop.models import PriceTier, User, UserRole
from tests.ops.conftest import make_staff
from tests.orders.fixtures import make_user

pytestmark = pytest.mark.django_db


def change_user(client, user, **data):
    form = {
        "username": user.username,
        "email": user.email,
        "role": user.role,
        "price_tier": user.price_tier,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        **data,
    }
    return client.post(reverse("admin:shop_user_change", args=[user.pk]), form)


def test_support_edits_a_customer_but_not_their_rights_pricing_or_sign_in(support_client):
    customer = make_user("carla")
    email = customer.email
    admin_group = Group.objects.get(name="admin")

    response = change_user(
        support_client,
        customer,
        first_name="Carla",
        username="carla2",
        email="carla@new.example.com",
        role=UserRole.RESELLER,
        price_tier=PriceTier.RESELLER,
        is_staff="on",
        is_superuser="on",
        groups=[admin_group.pk],
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.first_name == "Carla"
    assert customer.username == "carla"
    assert customer.email == email
    assert customer.role == UserRole.CUSTOMER
    assert customer.price_tier == PriceTier.RETAIL
    assert not customer.is_staff
    assert not customer.is_superuser
    assert not customer.groups.exists()


def test_support_disables_an_account_but_cannot_take_over_a_reseller(support_client):
    reseller = make_user("rita", reseller=True)
    email = reseller.email
    password_url = reverse("admin:auth_user_password_change", args=[reseller.pk])

    disabled = change_user(support_client, reseller, is_active="", email="mine@example.com")
    password = support_client.post(
        password_url, {"password1": "Takeover-12345", "password2": "Takeover-12345"}
    )

    assert disabled.status_code == 302
    assert password.status_code == 403
    reseller.refresh_from_db()
    assert not reseller.is_active
    assert reseller.email == email
    assert reseller.role == UserRole.RESELLER
    assert not reseller.check_password("Takeover-12345")
    assert support_client.get(password_url).status_code == 403


def test_the_admin_group_changes_pricing_e_mail_and_password(admin_group_client):
    customer = make_user("dora")
    password_url = reverse("admin:auth_user_password_change", args=[customer.pk])

    change_user(
        admin_group_client,
        customer,
        email="dora@new.example.com",
        role=UserRole.RESELLER,
        price_tier=PriceTier.RESELLER,
    )
    admin_group_client.post(
        password_url, {"password1": "New-pass-12345", "password2": "New-pass-12345"}
    )

    customer.refresh_from_db()
    assert customer.email == "dora@new.example.com"
    assert customer.role == UserRole.RESELLER
    assert customer.price_tier == PriceTier.RESELLER
    assert customer.check_password("New-pass-12345")


def test_support_cannot_change_a_staff_account_or_its_password(support_client):
    support = User.objects.get(username="sue-support")
    boss = make_staff("boss", "admin")
    password_url = reverse("admin:auth_user_password_change", args=[boss.pk])

    assert change_user(support_client, support, is_superuser="on").status_code == 403
    assert change_user(support_client, boss, email="x@example.com").status_code == 403
    assert (
        support_client.post(
            password_url, {"password1": "Takeover-12345", "password2": "Takeover-12345"}
        ).status_code
        == 403
    )
    support.refresh_from_db()
    boss.refresh_from_db()
    assert not support.is_superuser
    assert boss.check_password("pw")


def test_the_admin_group_grants_rights(admin_group_client):
    customer = make_user("dina")
    support = Group.objects.get(name="support")

    change_user(admin_group_client, customer, is_staff="on", groups=[support.pk])

    customer.refresh_from_db()
    assert customer.is_staff
    assert list(customer.groups.all()) == [support]
