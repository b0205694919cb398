import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from voronka.crm.selectors.items import get_visible_lead, visible_leads
from voronka.crm.selectors.lists import ItemFilter, apply_filter, keyset_page
from voronka.crm.services.leads import create_lead
from voronka.lib.errors import Invalid, NotFound

pytestmark = pytest.mark.django_db


def test_scope_of_each_role(manager, colleague, outsider, intern, head, admin):
    mine = create_lead(actor=manager, title="mine")
    sub_department = create_lead(actor=colleague, title="colleague")
    other_department = create_lead(actor=outsider, title="outsider")
    interns = create_lead(actor=intern, title="intern")

    def titles(user):
        return set(visible_leads(user).values_list("title", flat=True))

    assert titles(manager) == {"mine", "colleague", "intern"}  # department and sub-departments
    assert titles(colleague) == {"colleague"}  # Sales North has no sub-departments
    assert titles(intern) == {"intern"}
    assert titles(head) == titles(admin) == {"mine", "colleague", "outsider", "intern"}
    with pytest.raises(NotFound):
        get_visible_lead(user=manager, lead_id=other_department.pk)
    assert get_visible_lead(user=manager, lead_id=sub_department.pk) == sub_department
    assert get_visible_lead(user=intern, lead_id=interns.pk) == interns
    assert mine


def test_search_by_phone_email_name_and_id(manager):
    lead = create_lead(
        actor=manager,
        first_name="Пётр",
        last_name="Ёлкин",
        phones=["+7 495 109 63 75"],
        emails=["petr@elkin.ru"],
    )
    create_lead(actor=manager, title="Other", phones=["+7 916 000 00 00"], on_duplicate="create")
    for q in ("8 (495) 109-63-75", "PETR@elkin.ru", "елкин", "петр ел", f"#{lead.pk}"):
        result = apply_filter(visible_leads(manager), "lead", ItemFilter(q=q))
        assert list(result) == [lead], q


def test_keyset_pages_cover_everything_once(manager):
    leads = [create_lead(actor=manager, title=f"L{i}", amount=i % 3) for i in range(11)]
    seen, cursor = [], None
    while True:
        page = keyset_page(visible_leads(manager), "lead", sort="-amount", cursor=cursor, limit=4)
        seen.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(item.pk for item in seen) == sorted(lead.pk for lead in leads)
    assert [item.amount for item in seen] == sorted((item.amount for item in seen), reverse=True)


@pytest.mark.parametrize("sort", ["-id", "-amount", "title"])
def test_ids_first_pages_are_the_same_pages_with_the_page_query_on_the_item_table_alone(manager, sort):
    # given
    for i in range(11):
        create_lead(actor=manager, title=f"L{i % 4}", amount=i % 3)

    def pages(**options):
        found, cursor = [], None
        while True:
            page = keyset_page(visible_leads(manager), "lead", sort=sort, cursor=cursor, limit=4, **options)
            found.append([item.pk for item in page.items])
            cursor = page.next_cursor
            if cursor is None:
                return found

    # when
    with CaptureQueriesContext(connection) as queries:
        keyset_page(visible_leads(manager), "lead", sort=sort, limit=4, ids_first=True)

    # then: the same pages, and the query that picks the page joins nothing
    assert pages(ids_first=True) == pages()
    page_query = queries.captured_queries[-2]["sql"]
    assert "JOIN" not in page_query.upper()
    assert "LIMIT 5" in page_query.upper()


def test_bad_sort_and_cursor_are_refused(manager):
    with pytest.raises(Invalid):
        keyset_page(visible_leads(manager), "lead", sort="password")
    with pytest.raises(Invalid):
        keyset_page(visible_leads(manager), "lead", cursor="garbage!!")
