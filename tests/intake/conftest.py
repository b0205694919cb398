"""Fixtures for the intake tests: channels of each kind, configured through the services."""

import pytest

from voronka.intake.models import Channel
from voronka.intake.services.channels import create_channel, update_form

FORM_FIELDS = [
    {"name": "name", "label": "Name", "type": "text", "target": "first_name", "required": True},
    {"name": "phone", "label": "Phone", "type": "tel", "target": "phone"},
    {"name": "email", "label": "E-mail", "type": "email", "target": "email"},
    {"name": "message", "label": "Message", "type": "textarea", "target": "message"},
]


@pytest.fixture
def form_channel(admin, manager) -> Channel:
    channel = create_channel(kind="form", name="Site form", actor=admin, rule="fixed", responsible=manager)
    update_form(
        channel.form,
        actor=admin,
        fields=FORM_FIELDS,
        allowed_origins="http://127.0.0.1:8765\nhttps://shop.example",
        success_message="Thanks, we will call you!",
    )
    return channel


@pytest.fixture
def web_form(form_channel):
    form_channel.form.refresh_from_db()
    return form_channel.form


@pytest.fixture
def mail_channel(admin, manager) -> Channel:
    return create_channel(
        kind="email",
        name="Sales mailbox",
        actor=admin,
        rule="fixed",
        responsible=manager,
        config={"addresses": ["sales@voronka-crm.ru"]},
    )


@pytest.fixture
def phone_channel(admin, manager) -> Channel:
    return create_channel(
        kind="telephony",
        name="PBX",
        actor=admin,
        rule="fixed",
        responsible=manager,
        config={"operators": {"101": manager.pk}},
    )


@pytest.fixture
def telegram_channel(admin, manager) -> Channel:
    return create_channel(
        kind="telegram",
        name="Bot",
        actor=admin,
        rule="fixed",
        responsible=manager,
        config={"bot_token": "123:ABC"},
    )


@pytest.fixture
def chat_channel(admin, manager) -> Channel:
    return create_channel(kind="chat", name="Site chat", actor=admin, rule="fixed", responsible=manager)


@pytest.fixture
def crm_rows(transactional_db):
    """The rows the data migrations make (a transactional test starts from flushed tables)."""
    from django.apps import apps

    from voronka.accounts.roles import create_built_in_roles
    from voronka.crm.defaults import create_defaults

    create_built_in_roles(apps)
    create_defaults()
