"""A believable demo company: users, a year of leads and deals with their histories.

Built in bulk (not through the one-item services) so a year of history can carry past
timestamps, yet with the same shapes the services write: a history row per stage entry,
timeline entries, normalized communications, search keys, conversion links. The same seed
gives the same company. Conversion rates and stage durations differ by stage and by
manager, losses have a dominant reason, and a few deals went backward with a reason.
"""

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from faker import Faker

from voronka.accounts.models import Department, User
from voronka.accounts.services import create_user, system_user
from voronka.crm.models import (
    Communication,
    Company,
    Contact,
    Deal,
    Lead,
    Pipeline,
    Product,
    ProductRow,
    Source,
    Stage,
    StageHistory,
    TimelineEntry,
)
from voronka.crm.selectors.pipelines import default_deal_pipeline, lead_pipeline
from voronka.crm.services.products import row_total
from voronka.lib.phones import normalize_phone
from voronka.lib.text import company_key, search_key

DEMO_PASSWORD = "demo12345"

# username, first, last, department, role, skill (multiplies conversion), pace (multiplies dwell time)
PEOPLE = [
    ("smirnova", "Ольга", "Смирнова", "Sales Moscow", "head_of_sales", 1.15, 0.8),
    ("ivanov", "Иван", "Иванов", "Sales Moscow", "manager", 0.75, 1.4),
    ("kuznetsova", "Мария", "Кузнецова", "Sales Moscow", "manager", 1.2, 0.8),
    ("popov", "Алексей", "Попов", "Sales Moscow", "manager", 1.0, 1.0),
    ("miller", "John", "Miller", "Sales Regions", "manager", 1.05, 0.9),
    ("volkova", "Елена", "Волкова", "Sales Regions", "manager", 0.9, 1.2),
    ("sokolov", "Дмитрий", "Соколов", "Sales Regions", "manager", 1.1, 1.0),
    ("novikova", "Анна", "Новикова", "Sales Regions", "intern", 0.6, 1.6),
]
SOURCE_WEIGHTS = {
    "WEB": 18,
    "WEBFORM": 22,
    "CALL": 16,
    "EMAIL": 10,
    "CALLBACK": 6,
    "CHAT": 7,
    "ADVERTISING": 9,
    "RECOMMENDATION": 5,
    "PARTNER": 4,
    "TRADE_SHOW": 3,
}
SOURCE_QUALITY = {"RECOMMENDATION": 1.5, "PARTNER": 1.3, "TRADE_SHOW": 1.1, "ADVERTISING": 0.7, "CHAT": 0.85}
PRODUCTS = [
    ("Насос ЦНС 38-44", "P-001", "48500"),
    ("Насос К 80-50-200", "P-002", "36200"),
    ("Pump controller PC-10", "P-003", "12400"),
    ("Монтаж оборудования", "S-001", "15000"),
    ("Пусконаладочные работы", "S-002", "22000"),
    ("Сервисный контракт, год", "S-003", "60000"),
    ("Shut-off valve DN50", "P-004", "4300"),
    ("Manometer MP-100", "P-005", "1900"),
    ("Доставка", "S-004", "3500"),
    ("Обучение персонала", "S-005", "18000"),
]
# Lead statuses: (advance probability from this status, junk probability, mean dwell in hours)
LEAD_FLOW = {"NEW": (0.85, 0.12, 5), "IN_PROCESS": (0.42, 0.5, 60), "PROCESSED": (0.62, 0.3, 40)}
# Deal stages: (advance probability, loss probability, mean dwell in hours)
GENERAL_FLOW = {
    "NEW": (0.9, 0.08, 20),
    "PREPARATION": (0.78, 0.2, 70),
    "PREPAYMENT_INVOICE": (0.55, 0.42, 150),
    "EXECUTING": (0.88, 0.1, 200),
    "FINAL_INVOICE": (0.93, 0.06, 60),
}
WHOLESALE_STAGES = [
    ("QUALIFIED", "Заявка квалифицирована", "open", "#39A8EF"),
    ("PROPOSAL_SENT", "КП отправлено", "open", "#2FC6F6"),
    ("NEGOTIATION", "Условия согласованы", "open", "#55D0E0"),
    ("CONTRACT_SIGNED", "Договор подписан", "open", "#FFA900"),
    ("WON", "Отгружено", "won", "#7BD500"),
    ("PRICE", "Не устроила цена", "lost", "#FF5752"),
    ("COMPETITOR", "Выбрали конкурента", "lost", "#FF8B8B"),
    ("NO_BUDGET", "Нет бюджета", "lost", "#F7A9A9"),
    ("NO_ANSWER", "Пропал, не отвечает", "lost", "#D9A9A9"),
]
WHOLESALE_FLOW = {
    "QUALIFIED": (0.8, 0.18, 30),
    "PROPOSAL_SENT": (0.45, 0.52, 120),
    "NEGOTIATION": (0.7, 0.28, 90),
    "CONTRACT_SIGNED": (0.92, 0.06, 160),
}
GENERAL_LOSSES = {"LOSE": 0.7, "APOLOGY": 0.3}
WHOLESALE_LOSSES = {"PRICE": 0.52, "COMPETITOR": 0.22, "NO_BUDGET": 0.16, "NO_ANSWER": 0.10}


@dataclass
class Demo:
    """What was built."""

    users: list[User] = field(default_factory=list)
    leads: int = 0
    deals: int = 0
    contacts: int = 0
    companies: int = 0
    history: int = 0


class _Builder:
    def __init__(self, seed: int, now: dt.datetime):
        self.random = random.Random(seed)
        self.ru = Faker("ru_RU")
        self.en = Faker("en_US")
        self.ru.seed_instance(seed)
        self.en.seed_instance(seed + 1)
        self.now = now
        self.system = system_user()
        self.sources = {s.code: s for s in Source.objects.all()}
        self.history: list[StageHistory] = []
        self.timeline: list[TimelineEntry] = []
        self.comms: list[Communication] = []
        self.rows: list[ProductRow] = []
        self.next_ids: dict[type, int] = {}
        self.head: User | None = None

    # --- ids are assigned up front so every bulk list can point at its item ----------------
    def new_id(self, model) -> int:
        if model not in self.next_ids:
            last = model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            self.next_ids[model] = last + 1
        value = self.next_ids[model]
        self.next_ids[model] += 1
        return value

    def pick_source(self) -> Source:
        codes = list(SOURCE_WEIGHTS)
        return self.sources[self.random.choices(codes, weights=[SOURCE_WEIGHTS[c] for c in codes])[0]]

    def person(self) -> dict:
        russian = self.random.random() < 0.75
        fake = self.ru if russian else self.en
        female = self.random.random() < 0.45
        if russian:
            first = fake.first_name_female() if female else fake.first_name_male()
            last = fake.last_name_female() if female else fake.last_name_male()
            middle = fake.middle_name_female() if female else fake.middle_name_male()
            phone = fake.numerify(
                self.random.choice(
                    [
                        "+7 (9##) ###-##-##",
                        "8 9## ###-##-##",
                        "+79#########",
                        "8 (495) ###-##-##",
                        "8 (812) ###-##-##",
                    ]
                )
            )
        else:
            first, last, middle = fake.first_name(), fake.last_name(), ""
            phone = fake.numerify(
                self.random.choice(["+1 (2##) 555-01##", "+44 20 7946 0###", "+49 30 #######"])
            )
        company = fake.company() if self.random.random() < 0.55 else ""
        domain = self.random.choice(["mail.ru", "yandex.ru", "gmail.com", "inbox.ru", "outlook.com"])
        email = f"{fake.user_name()}{self.random.randint(1, 999)}@{domain}".lower()
        return {
            "first": first,
            "last": last,
            "middle": middle,
            "phone": phone,
            "email": email,
            "company": company,
        }

    def add_comms(self, owner: str, owner_id: int, person: dict) -> list[str]:
        values = []
        if self.random.random() < 0.93:
            values.append(("phone", "mobile", person["phone"], normalize_phone(person["phone"])))
        if self.random.random() < 0.7 or not values:
            values.append(("email", "work", person["email"], person["email"]))
        for index, (kind, label, value, normalized) in enumerate(values):
            self.comms.append(
                Communication(
                    kind=kind,
                    label=label,
                    value=value,
                    normalized=normalized,
                    sort=index,
                    **{f"{owner}_id": owner_id},
                )
            )
        return [n if kind == "email" else f"{n} {n.lstrip('+')}" for kind, _l, _v, n in values]

    def walk(
        self,
        stages: dict[str, Stage],
        flow: dict,
        losses: dict,
        start: dt.datetime,
        owner: User,
        skill: float,
        pace: float,
        quality: float,
    ) -> list[tuple[Stage, dt.datetime, bool, str]]:
        """Return the entries of one item into stages: (stage, at, backward, reason)."""
        order = list(flow)
        won = next(s for s in stages.values() if s.semantics == "won")
        entries = [(stages[order[0]], start, False, "")]
        at = start
        index = 0
        while True:
            code = order[index]
            advance, lose, hours = flow[code]
            dwell = dt.timedelta(hours=self.random.expovariate(1 / (hours * pace)) + 0.2)
            if at + dwell > self.now:
                return entries  # still open today
            if self.now - at < dt.timedelta(days=90) and self.random.random() < 0.3:
                return entries  # a recent item the manager has not moved on yet
            at += dwell
            roll = self.random.random()
            p_advance = min(0.97, advance * skill * quality)
            if roll < p_advance:
                index += 1
                if index == len(order):
                    entries.append((won, at, False, ""))
                    return entries
                entries.append((stages[order[index]], at, False, ""))
                if index >= 2 and self.random.random() < 0.02:
                    # Rarely, a deal goes back one stage (with a reason) and comes forward again.
                    back = stages[order[index - 1]]
                    at += dt.timedelta(hours=self.random.uniform(2, 30))
                    if at < self.now:
                        entries.append((back, at, True, "Клиент попросил пересчитать условия"))
                        index -= 1
            elif roll < p_advance + lose * (1 + (1 - skill) * 0.5):
                codes = list(losses)
                lost = stages[self.random.choices(codes, weights=[losses[c] for c in codes])[0]]
                entries.append((lost, at, False, self.random.choice(LOSS_NOTES[lost.code])))
                return entries


LOSS_NOTES = {
    "JUNK": ["Спам", "Ошиблись номером", "Не наш профиль", "Дубль заявки"],
    "LOSE": ["Дорого", "Ушли к конкуренту", "Сорвались сроки"],
    "APOLOGY": ["Клиент пропал", "Проект заморожен"],
    "PRICE": ["Дорого", "Нашли дешевле"],
    "COMPETITOR": ["Выбрали другого поставщика"],
    "NO_BUDGET": ["Бюджет урезали"],
    "NO_ANSWER": ["Не отвечает на звонки"],
}


def _users(builder: _Builder) -> list[tuple[User, float, float]]:
    departments: dict[str, Department] = {}
    people = []
    for username, first, last, department, role, skill, pace in PEOPLE:
        if department not in departments:
            departments[department] = Department.objects.get_or_create(name=department)[0]
        user = User.objects.filter(username=username).first() or create_user(
            username=username,
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            email=f"{username}@voronka.example",
            department=departments[department],
            role=role,
            position="Руководитель отдела продаж" if role == "head_of_sales" else "Менеджер по продажам",
            signature=f"С уважением,\n{first} {last}\nVoronka Demo",
        )
        people.append((user, skill, pace))
    head = people[0][0]
    for department in departments.values():
        department.head = head
        department.save(update_fields=["head"])
    return people


def _wholesale(actor: User) -> Pipeline:
    pipeline = Pipeline.objects.filter(kind="deal", name="Оптовые продажи").first()
    if pipeline:
        return pipeline
    pipeline = Pipeline.objects.create(kind="deal", name="Оптовые продажи", sort=20)
    Stage.objects.bulk_create(
        Stage(pipeline=pipeline, code=code, name=name, sort=(i + 1) * 10, semantics=semantics, color=color)
        for i, (code, name, semantics, color) in enumerate(WHOLESALE_STAGES)
    )
    return pipeline


def _products() -> list[Product]:
    if not Product.objects.exists():
        Product.objects.bulk_create(
            Product(
                name=name,
                code=code,
                price=Decimal(price),
                currency=settings.DEFAULT_CURRENCY,
                tax_rate=20,
                tax_included=True,
                measure="шт" if code.startswith("P") else "усл",
            )
            for name, code, price in PRODUCTS
        )
    return list(Product.objects.all())


@transaction.atomic
def build_demo(
    *, seed: int = 42, leads: int = 3000, deals: int = 1200, now: dt.datetime | None = None
) -> Demo:
    """Fill the database with a demo company; the same seed gives the same data."""
    builder = _Builder(seed, now or timezone.now())
    people = _users(builder)
    builder.head = people[0][0]
    products = _products()
    lead_stages = {s.code: s for s in lead_pipeline().stages.all()}
    general = default_deal_pipeline()
    general_stages = {s.code: s for s in general.stages.all()}
    wholesale = _wholesale(builder.system)
    wholesale_stages = {s.code: s for s in wholesale.stages.all()}
    result = Demo(users=[p[0] for p in people])
    year = dt.timedelta(days=365)

    lead_objects, deal_specs = [], []
    for _ in range(leads):
        user, skill, pace = builder.random.choices(people, weights=[2, 5, 6, 6, 5, 5, 5, 2])[0]
        person = builder.person()
        source = builder.pick_source()
        quality = SOURCE_QUALITY.get(source.code, 1.0)
        created = builder.now - year * (builder.random.random() ** 0.8)
        lead_id = builder.new_id(Lead)
        keys = builder.add_comms("lead", lead_id, person)
        entries = builder.walk(lead_stages, LEAD_FLOW, {"JUNK": 1.0}, created, user, skill, pace, quality)
        last_stage, last_at = entries[-1][0], entries[-1][1]
        title = f"{person['first']} {person['last']}" + (
            f" ({person['company']})" if person["company"] else ""
        )
        lead = Lead(
            pk=lead_id,
            title=title[:255],
            first_name=person["first"],
            last_name=person["last"],
            second_name=person["middle"],
            company_title=person["company"],
            status=last_stage,
            amount=Decimal(builder.random.randrange(20, 900) * 1000),
            currency=settings.DEFAULT_CURRENCY,
            is_closed=last_stage.semantics != "open",
            closed_at=last_at if last_stage.semantics != "open" else None,
            stage_changed_at=last_at,
            assigned_to=user,
            source=source,
            created_by=user,
            created_at=created,
            updated_at=last_at,
            search_text=search_key(title, person["middle"], *keys),
        )
        if last_stage.code == "CONVERTED":
            lead.converted_at = last_at
            deal_specs.append((lead, person, user, skill, pace, quality, last_at, keys))
        lead_objects.append(lead)
        _record(builder, "lead", lead, entries, user)
    Lead.objects.bulk_create(lead_objects, batch_size=500)

    direct = max(0, deals - len(deal_specs))
    for _ in range(direct):
        user, skill, pace = builder.random.choice(people[1:])
        person = builder.person()
        source = builder.pick_source()
        created = builder.now - year * (builder.random.random() ** 1.4)
        deal_specs.append(
            (None, person, user, skill, pace, SOURCE_QUALITY.get(source.code, 1.0), created, None)
        )
    builder.random.shuffle(deal_specs)

    contacts, companies, deal_objects = [], [], []
    for lead, person, user, skill, pace, quality, start, _keys in deal_specs:
        company = None
        if person["company"]:
            company_id = builder.new_id(Company)
            company = Company(
                pk=company_id,
                title=person["company"],
                title_key=company_key(person["company"]),
                currency=settings.DEFAULT_CURRENCY,
                assigned_to=user,
                source=lead.source if lead else None,
                created_by=user,
                created_at=start,
                updated_at=start,
                lead=lead,
                search_text=search_key(person["company"]),
            )
            companies.append(company)
        contact_id = builder.new_id(Contact)
        keys = builder.add_comms("contact", contact_id, person)
        contacts.append(
            Contact(
                pk=contact_id,
                first_name=person["first"],
                last_name=person["last"],
                second_name=person["middle"],
                company=company,
                assigned_to=user,
                source=lead.source if lead else builder.pick_source(),
                created_by=user,
                created_at=start,
                updated_at=start,
                lead=lead,
                search_text=search_key(person["first"], person["middle"], person["last"], *keys),
            )
        )
        wholesale_deal = builder.random.random() < 0.3
        pipeline, stages, flow, losses = (
            (wholesale, wholesale_stages, WHOLESALE_FLOW, WHOLESALE_LOSSES)
            if wholesale_deal
            else (general, general_stages, GENERAL_FLOW, GENERAL_LOSSES)
        )
        entries = builder.walk(stages, flow, losses, start, user, skill, pace, quality)
        last_stage, last_at = entries[-1][0], entries[-1][1]
        deal_id = builder.new_id(Deal)
        title = f"{person['company'] or person['last']}: " + builder.random.choice(
            ["поставка насосов", "сервисный контракт", "модернизация станции", "pump supply", "запчасти"]
        )
        amount = (
            _product_rows(builder, deal_id, products)
            if builder.random.random() < 0.5
            else Decimal(builder.random.randrange(30, 1500) * 1000)
        )
        deal = Deal(
            pk=deal_id,
            title=title[:255],
            pipeline=pipeline,
            stage=last_stage,
            amount=amount,
            currency=settings.DEFAULT_CURRENCY,
            is_closed=last_stage.semantics != "open",
            closed_at=last_at if last_stage.semantics != "open" else None,
            stage_changed_at=last_at,
            contact_id=contact_id,
            company=company,
            lead=lead,
            assigned_to=user,
            source=lead.source if lead else None,
            created_by=user,
            created_at=start,
            updated_at=last_at,
            close_date=(start + dt.timedelta(days=builder.random.randint(14, 90))).date(),
            search_text=search_key(title),
        )
        deal_objects.append(deal)
        _record(builder, "deal", deal, entries, user)
        if lead is not None:
            lead.contact_id, lead.company = contact_id, company
    Company.objects.bulk_create(companies, batch_size=500)
    Contact.objects.bulk_create(contacts, batch_size=500)
    Deal.objects.bulk_create(deal_objects, batch_size=500)
    Lead.objects.bulk_update(
        [s[0] for s in deal_specs if s[0] is not None], ["contact", "company"], batch_size=500
    )
    Communication.objects.bulk_create(builder.comms, batch_size=1000)
    ProductRow.objects.bulk_create(builder.rows, batch_size=1000)
    StageHistory.objects.bulk_create(builder.history, batch_size=1000)
    TimelineEntry.objects.bulk_create(builder.timeline, batch_size=1000)
    result.leads, result.deals = len(lead_objects), len(deal_objects)
    result.contacts, result.companies, result.history = len(contacts), len(companies), len(builder.history)
    return result


def _product_rows(builder: _Builder, deal_id: int, products: list[Product]) -> Decimal:
    total = Decimal("0.00")
    for index, product in enumerate(builder.random.sample(products, builder.random.randint(1, 3))):
        quantity = Decimal(builder.random.randint(1, 6))
        discount = Decimal(builder.random.choice([0, 0, 0, 5, 10]))
        row_sum = row_total(
            price=product.price,
            quantity=quantity,
            discount_rate=discount,
            tax_rate=product.tax_rate,
            tax_included=True,
        )
        builder.rows.append(
            ProductRow(
                deal_id=deal_id,
                product=product,
                name=product.name,
                price=product.price,
                quantity=quantity,
                discount_rate=discount,
                tax_rate=product.tax_rate,
                tax_included=True,
                measure=product.measure,
                total=row_sum,
                sort=(index + 1) * 10,
            )
        )
        total += row_sum
    return total


def _record(builder: _Builder, kind: str, item, entries, user: User) -> None:
    owner = {f"{kind}_id": item.pk}
    builder.timeline.append(TimelineEntry(kind="created", actor=user, created_at=entries[0][1], **owner))
    previous = None
    for stage, at, backward, reason in entries:
        mover = builder.head if backward else user
        builder.history.append(
            StageHistory(
                pipeline_id=stage.pipeline_id,
                from_stage=previous,
                to_stage=stage,
                moved_at=at,
                moved_by=mover,
                assigned_to=user,
                is_backward=backward,
                reason=reason,
                **owner,
            )
        )
        if previous is not None:
            builder.timeline.append(
                TimelineEntry(
                    kind="stage_changed",
                    actor=mover,
                    created_at=at,
                    **owner,
                    data={
                        "from": previous.code,
                        "to": stage.code,
                        "from_id": previous.pk,
                        "to_id": stage.pk,
                        "reason": reason,
                        "backward": backward,
                    },
                )
            )
        previous = stage
    if kind == "lead" and entries[-1][0].code == "CONVERTED":
        builder.timeline.append(
            TimelineEntry(kind="converted", actor=user, created_at=entries[-1][1], **owner)
        )
