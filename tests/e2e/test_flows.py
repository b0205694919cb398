"""The managers' and administrators' main flows, in English and in Russian."""

import re

import pytest
from playwright.sync_api import expect

from voronka.crm.models import Deal, Lead, Pipeline, StageHistory
from voronka.crm.services.leads import create_lead
from voronka.crm.services.stages import move

LANGUAGES = ["en", "ru"]
TEXT = {
    "en": {
        "sign_in": "Sign in",
        "board": "Leads",
        "backward": "You may not move a lead back to an earlier status.",
        "duplicate": "Possible duplicates",
        "stage_changed": "Stage changed",
        "order_saved": "Order saved.",
        "switched": "The working mode is switched",
    },
    "ru": {
        "sign_in": "Войти",
        "board": "Лиды",
        "backward": "Вы не можете вернуть лид в более ранний статус.",
        "duplicate": "Возможные дубликаты",
        "stage_changed": "Смена стадии",
        "order_saved": "Порядок сохранён.",
        "switched": "Режим работы переключён",
    },
}


def _column(page, stage):
    return page.locator(f'.cards[data-stage-id="{stage.pk}"]')


@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_in_with_the_form(page, manager, language):
    # given
    manager.set_password("demo12345")
    manager.save()
    page.goto(f"/accounts/login/?lang={language}")
    if language == "ru":
        page.click("button[name=language][value=ru]")
    # when
    page.fill("input[name=username]", manager.username)
    page.fill("input[name=password]", "demo12345")
    page.get_by_role("button", name=TEXT[language]["sign_in"], exact=True).click()
    # then
    expect(page).to_have_url(re.compile(r"/deals/$"))
    expect(page.locator(".navbar")).to_be_visible()


@pytest.mark.parametrize("language", LANGUAGES)
def test_create_a_lead_with_two_phones_and_see_the_duplicate_warning(page, sign_in, manager, language):
    # given
    existing = create_lead(actor=manager, title="Dairy farm", phones=["+7 495 109 63 75"])
    sign_in(manager, language)
    page.goto("/leads/new/")
    # when: typing a phone someone already has
    page.fill("input[name=title]", "Cheese plant")
    page.locator("input[name=phone]").first.fill("8 (495) 109-63-75")
    # then: the warning names the existing lead
    warning = page.locator("#duplicates .dup-box")
    expect(warning).to_contain_text(TEXT[language]["duplicate"])
    expect(warning).to_contain_text(existing.title)
    # when: a second phone, then save and create anyway
    page.locator("[data-add-row=phones]").click()
    page.locator("input[name=phone]").nth(1).fill("+7 916 555 44 33")
    page.locator("#item-form button[name=on_duplicate][value=refuse]").click()
    page.locator("button[name=on_duplicate][value=create]").click()
    # then
    expect(page).to_have_url(re.compile(r"/leads/\d+/$"))
    expect(page.locator('a[href="tel:+74951096375"]')).to_be_visible()
    expect(page.locator('a[href="tel:+79165554433"]')).to_be_visible()
    lead = Lead.objects.get(title="Cheese plant")
    assert lead.communications.count() == 2


@pytest.mark.parametrize("language", LANGUAGES)
def test_drag_a_card_to_the_next_status_and_find_it_there_after_reload(
    page, sign_in, manager, lead_statuses, language
):
    # given
    lead = create_lead(actor=manager, title="Drag me")
    new, in_process = lead_statuses.stages.get(code="NEW"), lead_statuses.stages.get(code="IN_PROCESS")
    sign_in(manager, language)
    page.goto("/leads/")
    expect(page.locator("h1")).to_have_text(TEXT[language]["board"])
    card = page.locator(f"#lead-{lead.pk}")
    # when
    card.drag_to(_column(page, in_process))
    expect(page.locator(".toast-success").last).to_be_visible()
    page.reload()
    # then
    expect(_column(page, in_process).locator(f"#lead-{lead.pk}")).to_be_visible()
    expect(_column(page, new).locator(f"#lead-{lead.pk}")).to_have_count(0)
    assert StageHistory.objects.filter(lead=lead, from_stage=new, to_stage=in_process).exists()
    page.goto(f"/leads/{lead.pk}/")
    expect(page.locator("#timeline .timeline")).to_contain_text(TEXT[language]["stage_changed"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_backward_drag_is_refused_with_a_message(page, sign_in, manager, lead_statuses, language):
    # given
    lead = create_lead(actor=manager, title="No way back")
    processed = lead_statuses.stages.get(code="PROCESSED")
    move(lead, to=processed, actor=manager)
    sign_in(manager, language)
    page.goto("/leads/")
    # when
    page.locator(f"#lead-{lead.pk}").drag_to(_column(page, lead_statuses.stages.get(code="NEW")))
    # then
    expect(page.locator(".toast-error").last).to_contain_text(TEXT[language]["backward"])
    expect(_column(page, processed).locator(f"#lead-{lead.pk}")).to_be_visible()
    lead.refresh_from_db()
    assert lead.status == processed


@pytest.mark.parametrize("language", LANGUAGES)
def test_move_to_menu_works_from_the_keyboard(page, sign_in, manager, lead_statuses, language):
    lead = create_lead(actor=manager, title="Keyboard user")
    in_process = lead_statuses.stages.get(code="IN_PROCESS")
    sign_in(manager, language)
    page.goto("/leads/")
    page.locator(f"#lead-{lead.pk} .card-move").focus()
    page.keyboard.press("Enter")
    page.locator(f'#move-dialog [data-stage-choice="{in_process.pk}"]').focus()
    page.keyboard.press("Enter")
    expect(_column(page, in_process).locator(f"#lead-{lead.pk}")).to_be_visible()
    expect(page.locator(".toast-success").last).to_be_visible()
    lead.refresh_from_db()
    assert lead.status == in_process


@pytest.mark.parametrize("language", LANGUAGES)
def test_convert_a_lead_into_a_deal_a_contact_and_a_company(page, sign_in, manager, language):
    # given
    lead = create_lead(
        actor=manager,
        first_name="Ivan",
        last_name="Orlov",
        company_title="Orlov Farm",
        phones=["+79031234567"],
    )
    sign_in(manager, language)
    page.goto(f"/leads/{lead.pk}/")
    # when
    page.locator(f'a[href="/leads/{lead.pk}/convert/"]').first.click()
    page.locator("input[name=contact][value=new]").check()
    page.locator("input[name=company][value=new]").check()
    page.locator("form.panel button.btn-primary").click()
    # then
    deal = Deal.objects.get(lead=lead)
    expect(page).to_have_url(re.compile(rf"/deals/{deal.pk}/$"))
    expect(page.locator(f'a[href="/contacts/{deal.contact_id}/"]')).to_be_visible()
    expect(page.locator(f'a[href="/companies/{deal.company_id}/"]')).to_be_visible()
    assert (deal.contact.last_name, deal.company.title) == ("Orlov", "Orlov Farm")


@pytest.mark.parametrize("language", LANGUAGES)
def test_create_a_pipeline_with_six_stages_and_reorder_two(page, sign_in, admin, language):
    # given
    sign_in(admin, language)
    page.goto("/settings/pipelines/")
    # when
    page.fill("input[name=name]", "Wholesale")
    page.fill("textarea[name=stages]", "Qualified\nDemo\nProposal\nNegotiation")
    page.locator("form.panel button.btn-primary").click()
    rows = page.locator(".stage-row")
    expect(rows).to_have_count(6)
    rows.nth(1).locator(".handle").drag_to(rows.nth(0).locator(".handle"))
    # then
    expect(page.locator(".toast-success", has_text=TEXT[language]["order_saved"])).to_be_visible()
    pipeline = Pipeline.objects.get(name="Wholesale")
    assert [s.name for s in pipeline.stages.order_by("sort")][:2] == ["Demo", "Qualified"]
    page.reload()
    expect(page.locator(".stage-row input[name=name]").first).to_have_value("Demo")


@pytest.mark.parametrize("language", LANGUAGES)
def test_switch_to_simple_mode(page, sign_in, admin, manager, language):
    # given
    create_lead(actor=manager, title="Open request", first_name="Anna")
    sign_in(admin, language)
    page.goto("/settings/mode/")
    expect(page.locator(".alert-warning")).to_contain_text("1")
    # when
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("input[name=mode][value=simple]").check()
    page.locator("main button.btn-primary").click()
    # then
    expect(page.locator(".toast-success", has_text=TEXT[language]["switched"])).to_be_visible()
    assert Deal.objects.filter(title="Open request").exists()
    assert not Lead.objects.filter(is_closed=False).exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_drop_on_a_lost_stage_asks_for_the_reason(page, sign_in, manager, general_pipeline, language):
    # given
    from voronka.crm.services.deals import create_deal

    deal = create_deal(actor=manager, title="Too expensive", pipeline=general_pipeline)
    lost = general_pipeline.stages.get(code="LOSE")
    sign_in(manager, language)
    page.set_viewport_size({"width": 2560, "height": 900})  # every column in view: no scrolling mid-drag
    page.goto("/deals/")
    # when
    page.locator(f"#deal-{deal.pk}").drag_to(_column(page, lost))
    dialog = page.locator("#reason-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("textarea").fill("Price did not fit")
    dialog.locator("button[value=ok]").click()
    # then
    expect(_column(page, lost).locator(f"#deal-{deal.pk}")).to_be_visible()
    expect(page.locator(".toast-success").last).to_be_visible()
    deal.refresh_from_db()
    assert deal.stage == lost and deal.is_closed
    assert StageHistory.objects.get(deal=deal, to_stage=lost).reason == "Price did not fit"


def test_quick_add_and_edit_in_place(page, sign_in, manager, general_pipeline):
    # given
    sign_in(manager)
    page.goto("/deals/")
    # when: a card is added in the first column
    page.locator(".quick-add summary").click()
    page.fill(".quick-add input[name=title]", "Quick valve order")
    page.fill(".quick-add input[name=amount]", "12 500")
    page.locator(".quick-add button").click()
    # then
    first = general_pipeline.stages.get(code="NEW")
    card = _column(page, first).locator(".card", has_text="Quick valve order")
    expect(card).to_be_visible()
    expect(page.locator(f'.column[data-stage-id="{first.pk}"] [data-count]')).to_have_text("1")
    deal = Deal.objects.get(title="Quick valve order")
    assert str(deal.amount) == "12500.00"
    # when: its fields are edited in place on the card
    card.locator(".card-title").click()
    page.locator("#fields a[hx-get]").click()
    page.fill("#item-form input[name=title]", "Quick valve order, 2 pcs")
    page.locator("#item-form button[value=refuse]").click()
    # then
    expect(page.locator("h1")).to_have_text("Quick valve order, 2 pcs")
    deal.refresh_from_db()
    assert deal.title == "Quick valve order, 2 pcs"
