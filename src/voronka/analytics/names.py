"""Reading stage names the way the seed's funnel rules ask: style, duplicates, actions, loss kinds.

Russian words are reduced to their dictionary form with pymorphy3 (which also tells a
past participle «отправлено» from an infinitive «отправить»); English is read word by
word (past participles end in -ed or are on a short irregular list; a to-do name starts
with a verb in its base form). Synonym groups let «Уточнение информации» and «Получение
данных» — the seed's example of duplicates — fall onto the same concepts.
"""

import re
from functools import cache

from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz

WORD = re.compile(r"[\w-]+", re.UNICODE)
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)

STOP_WORDS = frozenset(
    [
        "в",
        "во",
        "на",
        "и",
        "по",
        "с",
        "со",
        "к",
        "ко",
        "о",
        "об",
        "от",
        "до",
        "из",
        "за",
        "для",
        "а",
        "the",
        "a",
        "an",
        "to",
        "of",
        "for",
        "in",
        "on",
        "with",
        "and",
        "by",
        "at",
        "from",
    ]
)

# Concept groups: every word of a group stands for the same thing in a stage name.
SYNONYMS = {
    "info": "информация данные сведения реквизиты information info data details requirements",
    "clarify": (
        "уточнение уточнить получение получить сбор собрать запрос запросить выяснение выяснить "
        "clarify clarifying clarification get getting gather gathering collect collecting obtain "
        "obtaining request requesting"
    ),
    "proposal": "кп предложение proposal offer quote quotation",
    "contract": "договор контракт contract agreement",
    "invoice": "счет счёт invoice bill",
    "send": "отправить отправка выслать отослать направить send sent sending",
    "make": (
        "сделать составить подготовить оформить сформировать подготовка оформление составление "
        "make made making draft drafted drafting prepare prepared preparing"
    ),
    "call": "звонок звонить позвонить перезвонить дозвониться дозвон созвон call calls calling phone ring",
    "letter": "письмо написать e-mail email mail emails",
    "remind": "напомнить напоминание reminder remind follow-up followup",
    "sms": "смс sms",
}
CONCEPT = {word: concept for concept, words in SYNONYMS.items() for word in words.split()}
ACTION_CONCEPTS = frozenset({"call", "letter", "remind", "sms"})
REPEAT_WORDS = frozenset(
    ["второй", "повторный", "повторно", "снова", "ещё", "еще", "опять", "again", "second", "repeat", "2nd"]
)

# English words read as a finished action (past participles) or an instruction (base-form verbs).
IRREGULAR_PAST = frozenset(
    [
        "sent",
        "made",
        "done",
        "won",
        "lost",
        "paid",
        "given",
        "taken",
        "held",
        "met",
        "got",
        "gotten",
        "brought",
        "bought",
        "sold",
        "told",
        "shown",
        "seen",
        "written",
        "drawn",
        "chosen",
        "set",
        "put",
        "signed",
    ]
)
NOT_PAST = frozenset(["need", "seed", "feed", "red", "bed", "speed", "hundred", "indeed", "bred", "shed"])
BASE_VERBS = frozenset(
    [
        "send",
        "make",
        "get",
        "prepare",
        "call",
        "sign",
        "hand",
        "agree",
        "draft",
        "schedule",
        "hold",
        "meet",
        "negotiate",
        "qualify",
        "contact",
        "collect",
        "clarify",
        "review",
        "approve",
        "deliver",
        "ship",
        "close",
        "reject",
        "pay",
        "issue",
        "write",
        "create",
        "check",
        "confirm",
        "arrange",
        "present",
        "follow",
        "pass",
        "transfer",
        "do",
        "invoice",
        "gather",
        "request",
        "obtain",
        "take",
        "give",
        "sell",
    ]
)

GENERIC_LOSS_NAMES = frozenset(
    {
        "lost",
        "lose",
        "failed",
        "failure",
        "analyse the failure",
        "analyze the failure",
        "closed lost",
        "deal lost",
        "junk",
        "other",
        "провал",
        "проиграна",
        "проигран",
        "сделка провалена",
        "сделка проиграна",
        "отказ",
        "неудача",
        "анализ причины провала",
        "некачественный лид",
        "другое",
        "прочее",
    }
)
LOSS_KINDS = {
    "price": "цена дорого дорогой дороже стоимость price pricing expensive cost costly cheaper",
    "competitor": "конкурент конкуренты competitor competitors competition rival",
    "budget": "бюджет деньги финансирование budget money funding",
    "timing": "срок сроки время позже timing time deadline later",
    "no_answer": "отвечать ответ пропасть пропал молчать answer respond reply silent ghosted unreachable",
}
LOSS_KIND = {word: kind for kind, words in LOSS_KINDS.items() for word in words.split()}

LOSS_SUGGESTIONS = {
    "price": _(
        "Add a cheaper product to the line, and train managers on price objections and on showing "
        "the product's value."
    ),
    "competitor": _("Compare the offer with the competitors' and train managers on what sets it apart."),
    "budget": _("Qualify the budget earlier, and offer instalments or a smaller first order."),
    "timing": _("Agree on dates earlier and keep in touch until the client is ready to buy."),
    "no_answer": _("Plan a next activity for every item so that no client is left without an answer."),
    "generic": _(
        "This reason does not say why: split it into specific loss reasons (price, timing, "
        "competitor…) so that losses can be analysed."
    ),
    "other": _("Study the items lost for this reason and train managers on this objection."),
}


@cache
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def words(name: str) -> list[str]:
    """Return the name's words, lower-cased, ё as е."""
    return [w for w in WORD.findall(name.lower().replace("ё", "е")) if w not in STOP_WORDS]


def normal(name: str) -> str:
    """Return the name lower-cased with single spaces and no punctuation."""
    return " ".join(WORD.findall(name.lower().replace("ё", "е")))


@cache
def lemma(word: str) -> str:
    """Return the dictionary form of a Russian word (English words as they are)."""
    if not CYRILLIC.search(word):
        return word
    return _morph().parse(word)[0].normal_form.replace("ё", "е")


def lemmas(name: str) -> list[str]:
    return [lemma(w) for w in words(name)]


def concepts(name: str) -> frozenset[str]:
    """Return the name's words mapped onto synonym groups (a word without a group stands for itself)."""
    return frozenset(
        CONCEPT.get(w, CONCEPT.get(lemma_, lemma_))
        for w, lemma_ in zip(words(name), lemmas(name), strict=True)
    )


def similar(a: str, b: str, threshold: float = 85.0) -> bool:
    """Return True when two stage names say the same thing (same concepts, or nearly the same text)."""
    if normal(a) == normal(b):
        return True
    ca, cb = concepts(a), concepts(b)
    if ca and ca == cb:
        return True
    return fuzz.token_sort_ratio(" ".join(sorted(lemmas(a))), " ".join(sorted(lemmas(b)))) >= threshold


def is_action(name: str) -> bool:
    """Return True when a stage is named after one communication step (a call, a letter, a reminder)."""
    found = {CONCEPT.get(w, CONCEPT.get(l_, "")) for w, l_ in zip(words(name), lemmas(name), strict=True)}
    return bool(found & ACTION_CONCEPTS)


def _russian_style(word: str) -> str | None:
    for parse in _morph().parse(word)[:2]:
        tag = parse.tag
        if tag.POS == "INFN" or (tag.POS == "VERB" and ({"impr"} in tag or {"futr"} in tag)):
            return "todo"
        if tag.POS in {"PRTS", "PRTF"} and {"past"} in tag and {"pssv"} in tag:
            return "done"
        if tag.POS == "VERB" and {"past"} in tag:
            return "done"
        if parse.score >= 0.5:
            break
    return None


def _english_style(words_: list[str]) -> str | None:
    # A participle anywhere wins over a leading verb: "Invoice issued" is done, "Send invoice" to do.
    for word in words_:
        if word in IRREGULAR_PAST or (len(word) > 3 and word.endswith("ed") and word not in NOT_PAST):
            return "done"
    if words_ and words_[0] in BASE_VERBS:
        return "todo"
    return None


def style(name: str) -> str | None:
    """Return "done" (past participle: «Отправлено КП», "Proposal sent"), "todo" (imperative or
    infinitive: «Сделать КП», "Send contract") or None (a noun or an adjective: «Новый», "Negotiation")."""
    found = words(name)
    if CYRILLIC.search(name):
        for word in found:
            if CYRILLIC.search(word) and (result := _russian_style(word)):
                return result
        return None
    return _english_style(found)


def is_generic_loss(name: str) -> bool:
    """Return True for a loss stage that does not say why ("Lost", «Провал», "Analyse the failure")."""
    return normal(name) in GENERIC_LOSS_NAMES


def loss_kind(name: str, code: str = "") -> str:
    """Return which of the seed's suggestions fits a loss reason."""
    if is_generic_loss(name):
        return "generic"
    for word, lemma_ in zip(words(name), lemmas(name), strict=True):
        kind = LOSS_KIND.get(word) or LOSS_KIND.get(lemma_)
        if kind:
            return kind
    return LOSS_KIND.get(code.lower(), "other")
