from decimal import Decimal

import pytest

from voronka.crm.services.custom_fields import create_field, update_field
from voronka.crm.services.deals import create_deal, update_deal
from voronka.crm.services.leads import create_lead, update_lead
from voronka.crm.services.products import create_product, set_product_rows
from voronka.lib.errors import Forbidden, Invalid

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(admin):
    return {
        "industry": create_field(
            entity="lead", name="Industry", type="enum", actor=admin, options=["Retail", "Manufacturing"]
        ),
        "budget": create_field(entity="lead", name="Budget", type="number", actor=admin, is_required=True),
        "meeting": create_field(entity="lead", name="Meeting", type="date", actor=admin),
        "vip": create_field(entity="lead", name="VIP", type="bool", actor=admin),
        "expert": create_field(entity="lead", name="Expert", type="user", actor=admin),
        "tags": create_field(entity="lead", name="Tags", type="string", actor=admin, is_multiple=True),
    }


def test_values_are_validated_and_normalised(fields, manager):
    lead = create_lead(
        actor=manager,
        title="X",
        custom={
            fields["industry"].code: "manufacturing",
            fields["budget"].code: "1 500,5",
            fields["meeting"].code: "31.12.2026",
            fields["vip"].code: "yes",
            fields["expert"].code: manager.pk,
            fields["tags"].code: ["a", "b"],
        },
    )
    assert lead.custom == {
        fields["industry"].code: 2,
        fields["budget"].code: 1500.5,
        fields["meeting"].code: "2026-12-31",
        fields["vip"].code: True,
        fields["expert"].code: manager.pk,
        fields["tags"].code: ["a", "b"],
    }


def test_required_fields_are_required_on_create_and_cannot_be_emptied(fields, manager):
    with pytest.raises(Invalid) as error:
        create_lead(actor=manager, title="X")
    assert f"custom.{fields['budget'].code}" in error.value.details

    lead = create_lead(actor=manager, title="X", custom={fields["budget"].code: 10})
    with pytest.raises(Invalid):
        update_lead(lead, actor=manager, custom={fields["budget"].code: ""})
    update_lead(lead, actor=manager, custom={fields["vip"].code: False})  # other fields are fine
    lead.refresh_from_db()
    assert lead.custom[fields["budget"].code] == 10


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("industry", "Banking"),
        ("budget", "lots"),
        ("meeting", "someday"),
        ("vip", "maybe"),
        ("expert", 999999),
        ("tags", {"a": 1}),
    ],
)
def test_bad_values_are_refused(fields, manager, field, value):
    with pytest.raises(Invalid) as error:
        create_lead(actor=manager, title="X", custom={fields["budget"].code: 1, fields[field].code: value})
    assert f"custom.{fields[field].code}" in error.value.details


def test_unknown_codes_are_refused(fields, manager):
    with pytest.raises(Invalid) as error:
        create_lead(actor=manager, title="X", custom={fields["budget"].code: 1, "UF_CRM_NOPE": 1})
    assert "custom.UF_CRM_NOPE" in error.value.details


def test_only_administrators_define_fields(manager, admin):
    with pytest.raises(Forbidden):
        create_field(entity="deal", name="X", type="string", actor=manager)
    field = create_field(entity="deal", name="X", type="string", actor=admin, code="promo")
    assert field.code == "UF_CRM_PROMO"
    with pytest.raises(Invalid):
        create_field(entity="deal", name="Y", type="string", actor=admin, code="promo")
    assert update_field(field, actor=admin, name="Promo code").name == "Promo code"


def test_the_amount_follows_the_product_rows(manager, admin):
    pump = create_product(actor=admin, name="Pump", price="1000", tax_rate=20, tax_included=False)
    deal = create_deal(actor=manager, title="Pumps", amount=5)
    assert deal.amount == Decimal("5.00")

    deal = set_product_rows(
        deal,
        [{"product": pump.pk, "quantity": 2, "discount_rate": 10}, {"name": "Install", "price": "500"}],
        actor=manager,
    )

    rows = list(deal.product_rows.order_by("sort"))
    assert [r.total for r in rows] == [Decimal("2160.00"), Decimal("500.00")]  # 1000*0.9*2*1.2
    assert deal.amount == Decimal("2660.00")
    with pytest.raises(Invalid) as error:
        update_deal(deal, actor=manager, amount=1)
    assert error.value.code == "amount.follows_rows"


@pytest.mark.parametrize(
    "row",
    [
        {"price": 1},
        {"name": "X", "price": -1},
        {"name": "X", "price": 1, "quantity": 0},
        {"name": "X", "price": 1, "discount_rate": 150},
        {"name": "X", "price": "abc"},
        {"product": 999999},
    ],
)
def test_bad_rows_are_refused(manager, row):
    deal = create_deal(actor=manager, title="X")
    with pytest.raises(Invalid):
        set_product_rows(deal, [row], actor=manager)
    assert not deal.product_rows.exists()
