"""The intake channel fixtures, shared with the page tests."""

from tests.intake import conftest as intake

form_channel = intake.form_channel
web_form = intake.web_form
phone_channel = intake.phone_channel
telegram_channel = intake.telegram_channel
