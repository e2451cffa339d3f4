"""The generated SBB population: a deterministic generator of companies and all their rows.

The same seed number always gives the same companies, and a larger population begins with the
smaller one; see :class:`_Generator` for the random streams that keep it so.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random

from ketenserver.recognitions import domain
from ketenserver.recognitions.seed_demo import DEMO_COMPANIES
from ketenserver.recognitions.seed_rows import Row, _company, _domain_label, _Rows
from ketenserver.recognitions.seed_tables import (
    FAMILY_NAMES,
    FANCY_NAMES,
    FIRST_NAMES,
    FOREIGN_PLACES,
    FOREIGN_STREETS,
    PLACEMENT_STARTS,
    PLACEMENT_TEXTS,
    PLACES,
    POSTCODE_LETTERS,
    ROLES,
    SECTORS,
    SIZE_CLASSES,
    STREETS,
    WITHDRAWAL_REASONS,
    Sector,
)
from ketenserver.recognitions.storage import word_rows

FIRST_GENERATED_ID = 100000100
EARLIER_SHARE = 0.6
"""Chance that a recognition had an earlier one for the same qualification (at most 4 per company)."""
FILLED_SHARE = 1 / 6
"""Chance that a drawn open placement place is taken already, so it is not written."""
_FORMS = ("", " B.V.", " V.O.F.", " & Zn.", " C.V.")
_FORM_WEIGHTS = tuple(itertools.accumulate((40, 40, 12, 5, 3)))
_SIZES = tuple(s for s, _ in SIZE_CLASSES)
_SIZE_WEIGHTS = tuple(itertools.accumulate(w for _, w in SIZE_CLASSES))


class _Generator:
    """Deterministic streams of companies.

    Every choice comes from ``rng`` (the Dutch population), ``extra`` (contacts, postal
    addresses, placements, companies abroad) or ``later`` (earlier recognitions, filled places).
    Each stream was added without touching the draws of the ones before it, so a seed number
    keeps its companies as the generator grows.
    """

    def __init__(self, rng: random.Random, extra: random.Random, later: random.Random) -> None:
        self.rng = rng
        self.extra = extra
        self.later = later
        self.next_id = FIRST_GENERATED_ID
        self.next_placement = 0
        self.kvk_numbers = {d.kvk_number for d in DEMO_COMPANIES}
        self.taken = {(domain.name_key(d.name), d.postcode) for d in DEMO_COMPANIES}
        # Names repeat across a large population; folding them once keeps 250,000 companies fast.
        self._keys: dict[str, str] = {}
        self._labels: dict[str, str] = {}

    def _key(self, name: str) -> str:
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = domain.name_key(name)
        return key

    def _label(self, name: str) -> str:
        label = self._labels.get(name)
        if label is None:
            label = self._labels[name] = _domain_label(name)
        return label

    def _date(self, first: dt.date, last: dt.date, rng: random.Random | None = None) -> dt.date:
        day = first + dt.timedelta(days=(rng or self.rng).randint(0, (last - first).days))
        return day.replace(day=1)

    def _name(self, sector: Sector) -> str:
        rng = self.rng
        word, family = rng.choice(sector.words), rng.choice(FAMILY_NAMES)
        pattern = rng.random()
        if pattern < 0.45:
            name = f"{word} {family}"
        elif pattern < 0.75:
            name = f"{family[0].upper()}{family[1:]} {word}"
        else:
            name = f"{word} {rng.choice(FANCY_NAMES)}"
        if rng.random() < sector.stichting:
            return f"Stichting {name}"
        return name + rng.choices(_FORMS, cum_weights=_FORM_WEIGHTS)[0]

    def _postcode(self, low: int, high: int) -> str:
        while True:
            letters = "".join(self.rng.choice(POSTCODE_LETTERS) for _ in range(2))
            if letters not in domain.NEVER_ISSUED:
                return f"{self.rng.randint(low, high)}{letters}"

    def _phone(self, area: str) -> str:
        """A 10-digit Dutch number written 0xx-xxxxxxx or 0xxx-xxxxxx; the first digit after it is 2-9."""
        rest = 9 - len(area)
        return f"{area}-{self.rng.randint(2, 9)}{self.rng.randint(0, 10**rest - 1):0{rest}d}"

    def _kvk(self) -> str:
        while True:
            number = str(self.rng.randint(10_000_000, 99_999_999))
            if number not in self.kvk_numbers:
                self.kvk_numbers.add(number)
                return number

    def _recognitions(self, sector: Sector, recognised: bool) -> list[Row]:
        rng, rows = self.rng, []
        if recognised:  # open-ended, so the share recognised does not change with the date
            for crebo in rng.sample(sector.crebos, k=min(len(sector.crebos), rng.choice((1, 1, 2, 3)))):
                start = self._date(dt.date(2010, 1, 1), dt.date(2024, 12, 1))
                rows.append({"crebo": crebo, "start_date": start, "end_date": None, "withdrawn_on": None,
                             "withdrawal_reason": None})
        # An earlier recognition that ended, for a qualification without a current one.
        others = [c for c in sector.crebos if c not in {r["crebo"] for r in rows}]
        if others and rng.random() < (0.2 if recognised else 0.6):
            start = self._date(dt.date(2008, 1, 1), dt.date(2018, 12, 1))
            stop = self._date(start + dt.timedelta(days=400), dt.date(2024, 6, 1))
            crebo = rng.choice(others)
            if rng.random() < 0.7:
                reasons = WITHDRAWAL_REASONS[:2] if recognised else WITHDRAWAL_REASONS  # not "gestopt"
                rows.append({"crebo": crebo, "start_date": start, "end_date": None, "withdrawn_on": stop,
                             "withdrawal_reason": rng.choice(reasons)})
            else:
                rows.append({"crebo": crebo, "start_date": start, "end_date": stop, "withdrawn_on": None,
                             "withdrawal_reason": None})
        return rows

    def _earlier(self, recognitions: list[Row]) -> list[Row]:
        """Earlier recognitions for the same qualifications, before the ones drawn (at most 4 in all).

        SBB recognises a company anew when it changes owner or legal form, and may recognise it
        again after a withdrawal; the earlier one ended the day before, or was withdrawn.
        """
        later = self.later
        rows: list[Row] = []
        for after in recognitions:
            if len(recognitions) + len(rows) >= 4 or later.random() >= EARLIER_SHARE:
                continue
            next_start: dt.date = after["start_date"]
            start = self._date(dt.date(2004, 1, 1), next_start - dt.timedelta(days=730), later)
            row = {"crebo": after["crebo"], "start_date": start, "end_date": next_start - dt.timedelta(days=1),
                   "withdrawn_on": None, "withdrawal_reason": None}
            if later.random() < 0.4:
                row.update(end_date=None, withdrawal_reason=later.choice(WITHDRAWAL_REASONS[:2]),
                           withdrawn_on=self._date(start + dt.timedelta(days=365),
                                                   next_start - dt.timedelta(days=180), later))
            rows.append(row)
        return rows

    def company(self, rows: _Rows) -> None:
        rng = self.rng
        sector = rng.choice(SECTORS)
        place, low, high, area = rng.choice(PLACES)
        name, postcode = self._name(sector), self._postcode(low, high)
        while (self._key(name), postcode) in self.taken:
            name = self._name(sector)
        self.taken.add((self._key(name), postcode))
        self.next_id += rng.randint(1, 997)
        leerbedrijf_id = str(self.next_id)
        suffix = domain.normalise_suffix(rng.choice(("A", "B", "1", "bis"))) if rng.random() < 0.1 else None
        establishment = f"0000{rng.randint(10_000_000, 99_999_999)}" if rng.random() < 0.9 else None
        company = _company(
            leerbedrijf_id, name, self._key(name), self._label(name), kvk_number=self._kvk(),
            kvk_establishment=establishment, street=rng.choice(STREETS),
            house_number=rng.choice((rng.randint(1, 40), rng.randint(1, 250))),
            house_number_suffix=suffix, postcode=postcode, place=place, phone=self._phone(area),
            size_class=rng.choices(_SIZES, cum_weights=_SIZE_WEIGHTS)[0], sbi_code=sector.sbi_code,
        )
        recognitions = self._recognitions(sector, recognised=rng.random() < 0.85)
        self._abroad(company)
        self._postal(company)
        rows.companies.append(company)
        current = [r["crebo"] for r in recognitions if r["end_date"] is None and r["withdrawn_on"] is None]
        recognitions += self._earlier(recognitions)
        country = company["country_code"]  # given, so that no row looks it up (the column's default)
        rows.recognitions.extend({**r, "leerbedrijf_id": leerbedrijf_id, "country_code": country} for r in recognitions)
        self._contacts(rows, company)
        self._placements(rows, leerbedrijf_id, current)
        rows.words.extend(word_rows(leerbedrijf_id, name, company["place"]))

    def _abroad(self, company: Row) -> None:
        """About 6% move to Belgium and 4% to Germany: place, postcode, street and phone of there."""
        extra = self.extra
        draw = extra.random()
        if draw >= 0.10:
            return
        country = "BE" if draw < 0.06 else "DE"
        country, place, low, high, prefix = extra.choice([p for p in FOREIGN_PLACES if p[0] == country])
        digits = 8 if country == "BE" else 7
        company.update(country_code=country, place=place, postcode=str(extra.randint(low, high)),
                       street=extra.choice(FOREIGN_STREETS[country]), house_number_suffix=None,
                       phone=f"{prefix} {extra.randint(10 ** (digits - 3), 10 ** (digits - 2) - 1)}")

    def _postal(self, company: Row) -> None:
        """Three in ten have a postal address of their own, mostly a PO box at the same place."""
        extra = self.extra
        if extra.random() >= 0.3:
            return
        if extra.random() < 0.7:
            street, number = "Postbus", extra.randint(1, 9999)
        else:
            street, number = extra.choice(FOREIGN_STREETS.get(company["country_code"], STREETS)), extra.randint(1, 200)
        postcode = company["postcode"]
        if company["country_code"] == "NL":
            postcode = postcode[:4] + "".join(extra.choice(POSTCODE_LETTERS) for _ in range(2))
            if postcode[4:] in domain.NEVER_ISSUED:
                postcode = postcode[:4] + "AA"
        company.update(postal_street=street, postal_number=number, postal_postcode=postcode,
                       postal_place=company["place"], postal_country_code=company["country_code"])

    def _contacts(self, rows: _Rows, company: Row) -> None:
        extra = self.extra
        label = self._label(company["name"])
        for role in extra.sample(ROLES, k=extra.choice((1, 1, 2, 2, 3))):
            first, family = extra.choice(FIRST_NAMES), extra.choice(FAMILY_NAMES)
            mailbox = self._label(f"{first} {family.split()[-1]}") or "contact"
            phone = company["phone"] if extra.random() < 0.5 else None
            email = f"{mailbox}@{label}.example" if extra.random() < 0.9 else None
            rows.contacts.append({"leerbedrijf_id": company["leerbedrijf_id"], "name": f"{first} {family}",
                                  "role": role, "phone": phone, "email": email})

    def _placements(self, rows: _Rows, leerbedrijf_id: str, crebos: list[str]) -> None:
        """Open places for some current qualifications, BOL and BBL; a few are filled already."""
        extra = self.extra
        for crebo in crebos:
            for path in ("BOL", "BBL"):
                if extra.random() < 0.35:
                    start, places = extra.choice(PLACEMENT_STARTS), extra.choice((1, 1, 1, 2, 2, 3, 5))
                    description = extra.choice(PLACEMENT_TEXTS[path])
                    if self.later.random() < FILLED_SHARE:
                        continue
                    self.next_placement += 1
                    rows.placements.append({
                        "id": self.next_placement, "leerbedrijf_id": leerbedrijf_id, "learning_path": path,
                        "crebo": crebo, "start_date": start, "places": places, "description": description,
                    })
