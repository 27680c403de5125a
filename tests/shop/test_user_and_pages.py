import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from shop.models import PriceTier, User, UserRole

pytestmark = pytest.mark.django_db


def test_the_user_model_is_the_shops_own():
    assert get_user_model() is User
    user = User.objects.create_user(username="rina", password="x-very-long-pass")
    assert user.role == UserRole.CUSTOMER
    assert user.price_tier == PriceTier.RETAIL


def test_home_page_renders_with_its_stylesheet(client):
    response = client.get("/")

    assert response.status_code == 200
    assert b"/static/css/shop.css" in response.content


def test_static_files_are_served_by_whitenoise(client):
    response = client.get("/static/css/shop.css")

    assert response.status_code == 200
    assert b"--accent" in b"".join(response.streaming_content)


def test_demo_admin_gets_a_generated_password_printed_once(capsys):
    call_command("ensure_demo_admin")
    first = capsys.readouterr().out
    call_command("ensure_demo_admin")
    second = capsys.readouterr().out

    password = first.split("password '")[1].split("'")[0]
    assert len(password) >= 16
    assert User.objects.get(username="admin").check_password(password)
    assert password not in second
    assert "already exists" in second
