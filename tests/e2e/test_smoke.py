import pytest

from shop.models import User

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_logs_in_and_sees_their_wallet(live_server, page):
    User.objects.create_user(username="rina", password="a-long-password-1")

    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill("rina")
    page.get_by_label("Password").fill("a-long-password-1")
    page.get_by_role("button", name="Log in").click()

    page.wait_for_url(f"{live_server.url}/account/wallet/")
    assert "Balance: Rp 0" in page.locator("p.balance").inner_text()
