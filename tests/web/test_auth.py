import pytest
from django.conf import settings
from django.test import Client

from voronka.web.models import SignInFailure

pytestmark = pytest.mark.django_db


def _sign_in(client, username, password, address="10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_pages_ask_to_sign_in_first(db):
    response = Client().get("/deals/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_sign_in_with_the_right_password_opens_the_deal_board(admin):
    client = Client()
    response = _sign_in(client, "admin", "admin-pass-1")
    assert response.status_code == 302
    assert client.get("/").url == "/deals/"


def test_fifth_failure_locks_the_login_from_that_address_even_for_the_right_password(admin):
    # given
    client = Client()
    for _attempt in range(5):
        response = _sign_in(client, "admin", "wrong")
        assert response.status_code == 200
    # when
    locked = _sign_in(client, "admin", "admin-pass-1")
    other_address = _sign_in(Client(), "admin", "admin-pass-1", address="10.0.0.2")
    # then
    assert locked.status_code == 200
    assert "Too many failed attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert other_address.status_code == 302


def test_success_clears_the_failure_count(admin):
    client = Client()
    for _attempt in range(3):
        _sign_in(client, "admin", "wrong")
    assert SignInFailure.objects.get().failures == 3
    assert _sign_in(client, "admin", "admin-pass-1").status_code == 302
    assert not SignInFailure.objects.exists()


def test_language_switch_is_kept_in_the_profile_and_the_cookie(manager_client, manager):
    # when
    response = manager_client.post("/language/", {"language": "ru", "next": "/leads/"})
    # then
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    manager.refresh_from_db()
    assert manager.language == "ru"
    page = manager_client.get("/leads/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Лиды" in page.content.decode()


def test_unknown_language_is_refused(manager_client, manager):
    manager_client.post("/language/", {"language": "xx"})
    manager.refresh_from_db()
    assert manager.language == ""


def test_sign_out(manager_client):
    assert manager_client.post("/accounts/logout/").status_code == 302
    assert manager_client.get("/deals/").status_code == 302


def test_the_navigation_bar_reaches_every_part_of_the_crm(admin):
    client = Client()
    client.force_login(admin)

    page = client.get("/deals/").content.decode()

    for address in (
        "/leads/",
        "/deals/",
        "/contacts/",
        "/companies/",
        "/activities/",
        "/analytics/",
        "/imports/",
    ):
        assert f'href="{address}' in page, address


def test_only_administrators_see_the_settings_in_the_navigation_bar(manager):
    client = Client()
    client.force_login(manager)

    page = client.get("/deals/").content.decode()

    assert 'href="/analytics/' in page
    assert 'href="/settings/' not in page
