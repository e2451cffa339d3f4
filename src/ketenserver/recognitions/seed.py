"""Demo data for the SBB recognitions sandbox.

:func:`seed` first writes the fixed :data:`DEMO_COMPANIES` (always the same ids, names and
addresses, for the README and the tests), then a generated population: Dutch company names
from sector words, family names and legal forms, real places with their real 4-digit postcode
ranges and area codes, about 85% recognised for one to three qualifications of their sector,
some with an earlier recognition withdrawn or expired. The same ``seed_number`` always gives
the same data, and a larger population begins with the smaller one.

Every company also gets one to three contact persons, sometimes a postal address apart from the
visiting one (mostly a PO box, "Postbus"), and recognised ones open placement places (BOL and
BBL) for some of their qualifications, starting in 2026 or 2027. About 6% of the generated
companies are in Belgium and 4% in Germany (real places and postcodes) for the country filter.
These extras come from a second random stream, so the Dutch population of a seed number is the
same as before they existed. A third stream gives many recognitions an earlier one for the same
qualification (SBB recognises anew after a change of owner or a withdrawal) and leaves one in
six drawn placement places filled, which brings the proportions to SBB's: about 2.4
recognitions and 0.8 open placement places per company (250,000 companies: some 600,000 and
200,000), with the companies, contacts and remaining places of a seed number unchanged.

Rows are written with Core bulk inserts (executemany), :data:`BATCH` companies at a time, all in
the caller's transaction; a progress callback hears of each batch. The sandbox's thousands of
companies take about a second; 250,000 take about 35 seconds on SQLite and a minute on
PostgreSQL on a small machine.

The demo companies (recognitions open-ended, so the outcome never changes with the date):

=========  ==============================  ======  ==  ==========================================
id         name                            pc      nr  outcome of VaststellenLeerbedrijf
=========  ==============================  ======  ==  ==========================================
100000001  Bakkerij De Vries B.V.          1012AB  10  0 erkend (25173, 25174; 25183 withdrawn)
100000002  Autobedrijf Jansen V.O.F.       3526KS  25  1 niet erkend (25242 withdrawn 2022-06-01)
100000003  Schildersbedrijf Bakker B.V.    2517AB  12  3 meerdere without house number; 0 with 12
100000004  Schildersbedrijf Bakker B.V.    2517AB  14  3 meerdere without house number; 0 with 14
100000005  Stichting Zorgcentrum De Linde  8011AB   2  0 erkend; without "Stichting": 2 niet gevonden
=========  ==============================  ======  ==  ==========================================

Natrekken erkenning on them gives every signaalcode: 100000001 with 25173 (0 erkend), 25183
after 2023-09-01 (1 ingetrokken), 25242 (4 andere kwalificatie); 100000004 with 25030 before
2020-03-01 (2 nog niet ingegaan); 100000005 with 25480 after 2016 (3 beëindigd); 100000002 with
25173 (5 geen erkenning). Each has contact persons; 100000001 and 100000005 have a PO box and
open placement places.

E-mail addresses and websites use the reserved top-level domain ``.example`` (RFC 2606), so a
school system under test can never write to a real company. Nothing here commits: the caller
owns the transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ketenserver.recognitions import domain
from ketenserver.recognitions.storage import (
    CompanyModel,
    CompanyWordModel,
    ContactModel,
    PlacementModel,
    QualificationModel,
    RecognitionModel,
    word_rows,
)

Row = dict[str, Any]

WITHDRAWAL_REASONS = ("veiligheid niet op orde", "geen begeleiding meer", "bedrijf gestopt")


@dataclass(frozen=True)
class Qualification:
    crebo: str
    name: str
    level: int


def load_qualifications() -> tuple[Qualification, ...]:
    """The shipped ``kwalificaties.csv`` (lines starting with ``#`` cite the source)."""
    text = resources.files("ketenserver.recognitions").joinpath("kwalificaties.csv").read_text("utf-8")
    data = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))
    rows = csv.DictReader(io.StringIO(data))
    return tuple(Qualification(r["crebo"], r["naam"], int(r["niveau"])) for r in rows)


@dataclass(frozen=True)
class DemoRecognition:
    crebo: str
    start: dt.date
    end: dt.date | None = None
    withdrawn_on: dt.date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class DemoCompany:
    leerbedrijf_id: str
    name: str
    kvk_number: str
    kvk_establishment: str | None
    street: str
    house_number: int
    postcode: str
    place: str
    phone: str
    size_class: str
    sbi_code: str
    recognitions: tuple[DemoRecognition, ...]
    house_number_suffix: str | None = None
    contacts: tuple[tuple[str, str, str | None, str | None], ...] = ()
    """(name, role, phone, e-mail) of each contact person."""
    postal: tuple[str, int, str, str] | None = None
    """(street or "Postbus", number, postcode, place) when apart from the visiting address."""
    placements: tuple[tuple[str, str, dt.date, int, str], ...] = ()
    """(learning path, crebo, start date, places, description) of each open placement place."""

    @property
    def recognised(self) -> bool:
        """Recognised on any day from 2021 on (the demo recognitions are open-ended)."""
        return any(r.withdrawn_on is None and r.end is None for r in self.recognitions)


_D = dt.date
BAKKERIJ_DE_VRIES = DemoCompany(
    "100000001", "Bakkerij De Vries B.V.", "34123456", "000012345678", "Damrak", 10, "1012AB",
    "Amsterdam", "020-6241010", "10-49", "1071",
    (DemoRecognition("25173", _D(2018, 8, 1)), DemoRecognition("25174", _D(2018, 8, 1)),
     DemoRecognition("25183", _D(2019, 2, 1), withdrawn_on=_D(2023, 9, 1), reason="geen begeleiding meer")),
    contacts=(("Sanne de Vries", "Eigenaar", "020-6241010", "sanne@bakkerijdevries.example"),
              ("Kees Mulder", "Praktijkopleider", "020-6241011", "kees.mulder@bakkerijdevries.example")),
    postal=("Postbus", 1234, "1000AE", "Amsterdam"),
    placements=(("BOL", "25173", _D(2026, 9, 1), 2, "Meewerken in de bakkerij: brood, banket en winkel."),
                ("BBL", "25174", _D(2026, 9, 1), 1, "Zelfstandig bakken in de nachtploeg, 4 dagen per week.")),
)
AUTOBEDRIJF_JANSEN = DemoCompany(
    "100000002", "Autobedrijf Jansen V.O.F.", "30123457", "000023456789", "Europalaan", 25, "3526KS",
    "Utrecht", "030-2881525", "1-9", "4520",
    (DemoRecognition("25242", _D(2015, 8, 1), withdrawn_on=_D(2022, 6, 1),
                     reason="veiligheid niet op orde"),),
    contacts=(("Piet Jansen", "Eigenaar", "030-2881525", None),),
)
SCHILDERSBEDRIJF_BAKKER_12 = DemoCompany(
    "100000003", "Schildersbedrijf Bakker B.V.", "27123458", "000034567890", "Laan van Meerdervoort", 12,
    "2517AB", "'s-Gravenhage", "070-3451212", "10-49", "4334",
    (DemoRecognition("25029", _D(2016, 1, 1)), DemoRecognition("25030", _D(2016, 1, 1))),
    contacts=(("Ahmed El Amrani", "Praktijkopleider", "070-3451213", "a.elamrani@schildersbedrijfbakker.example"),),
    placements=(("BBL", "25030", _D(2026, 8, 1), 1, "Schilderwerk binnen en buiten, met een vakkracht."),),
)
SCHILDERSBEDRIJF_BAKKER_14 = DemoCompany(
    "100000004", "Schildersbedrijf Bakker B.V.", "27123458", "000034567901", "Laan van Meerdervoort", 14,
    "2517AB", "'s-Gravenhage", "070-3451414", "1-9", "4334",
    (DemoRecognition("25030", _D(2020, 3, 1)),),
    contacts=(("Joost Bakker", "Bedrijfsleider", "070-3451414", "joost@schildersbedrijfbakker.example"),),
)
ZORGCENTRUM_DE_LINDE = DemoCompany(
    "100000005", "Stichting Zorgcentrum De Linde", "41123459", "000045678912", "Kastanjelaan", 2, "8011AB",
    "Zwolle", "038-4212020", "250+", "8710",
    (DemoRecognition("25491", _D(2017, 1, 1)), DemoRecognition("25498", _D(2017, 1, 1)),
     DemoRecognition("25480", _D(2012, 1, 1), end=_D(2016, 12, 31))),
    contacts=(("Marieke Hoekstra", "Leerlingcoördinator", "038-4212021",
               "m.hoekstra@stichtingzorgcentrumdelinde.example"),
              ("Özlem Yılmaz", "HR-adviseur", None, "hr@stichtingzorgcentrumdelinde.example"),
              ("Bert Postma", "Praktijkopleider", "038-4212022", None)),
    postal=("Postbus", 40, "8000AA", "Zwolle"),
    placements=(("BOL", "25491", _D(2026, 9, 1), 3, "Zorg en begeleiding op een somatische afdeling."),
                ("BBL", "25498", _D(2027, 2, 1), 2, "Begeleiden van bewoners met dementie, 32 uur per week.")),
)
DEMO_COMPANIES: tuple[DemoCompany, ...] = (
    BAKKERIJ_DE_VRIES, AUTOBEDRIJF_JANSEN, SCHILDERSBEDRIJF_BAKKER_12, SCHILDERSBEDRIJF_BAKKER_14,
    ZORGCENTRUM_DE_LINDE,
)

# --- Tables for the generated population ----------------------------------------------------

PLACES: tuple[tuple[str, int, int, str], ...] = (
    # place, lowest and highest 4-digit postcode of the place, telephone area code
    ("Amsterdam", 1011, 1109, "020"), ("Zaandam", 1501, 1509, "075"), ("Haarlem", 2011, 2037, "023"),
    ("Alkmaar", 1811, 1827, "072"), ("Hoorn", 1621, 1628, "0229"), ("Den Helder", 1781, 1789, "0223"),
    ("Hilversum", 1211, 1223, "035"), ("Almere", 1311, 1363, "036"), ("Lelystad", 8211, 8245, "0320"),
    ("Utrecht", 3511, 3585, "030"), ("Amersfoort", 3811, 3829, "033"), ("'s-Gravenhage", 2491, 2597, "070"),
    ("Leiden", 2311, 2334, "071"), ("Delft", 2611, 2629, "015"), ("Zoetermeer", 2711, 2729, "079"),
    ("Rotterdam", 3011, 3089, "010"), ("Dordrecht", 3311, 3329, "078"), ("Gouda", 2801, 2809, "0182"),
    ("Breda", 4811, 4839, "076"), ("Bergen op Zoom", 4611, 4625, "0164"), ("Tilburg", 5011, 5049, "013"),
    ("'s-Hertogenbosch", 5211, 5237, "073"), ("Eindhoven", 5611, 5658, "040"),
    ("Helmond", 5701, 5709, "0492"),
    ("Oss", 5341, 5351, "0412"), ("Venlo", 5911, 5928, "077"), ("Roermond", 6041, 6046, "0475"),
    ("Maastricht", 6211, 6229, "043"), ("Heerlen", 6411, 6422, "045"), ("Nijmegen", 6511, 6546, "024"),
    ("Arnhem", 6811, 6846, "026"), ("Ede", 6711, 6718, "0318"), ("Apeldoorn", 7311, 7335, "055"),
    ("Deventer", 7411, 7431, "0570"), ("Enschede", 7511, 7548, "053"), ("Hengelo", 7550, 7559, "074"),
    ("Zwolle", 8011, 8047, "038"), ("Emmen", 7811, 7826, "0591"), ("Assen", 9401, 9409, "0592"),
    ("Groningen", 9711, 9747, "050"), ("Leeuwarden", 8911, 8941, "058"), ("Middelburg", 4331, 4339, "0118"),
    ("Goes", 4461, 4465, "0113"),
)
POSTCODE_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"  # F, I, O, Q, U and Y are not used in practice

FAMILY_NAMES = (
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit",
    "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker",
    "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "van der Linden", "Kok", "Jacobs",
    "de Haan", "Vermeulen", "van den Heuvel", "van der Veen", "van den Broek", "de Bruijn", "Schouten",
    "van Beek", "Willems", "van Vliet", "Hoekstra", "Maas", "Verhoeven", "Koster", "Prins", "Blom",
    "Huisman", "Postma", "Kuipers", "Yılmaz", "Öztürk", "Çelik", "El Amrani", "Nguyen", "Hoëgen",
)
FANCY_NAMES = (
    "De Gouden Leeuw", "Het Anker", "De Zon", "De Molen", "'t Hoekje", "De Eendracht", "De Kroon",
    "Het Wapen", "De Sleutel", "Noord", "Oost", "West", "Centrum", "De Ster", "Het Gilde",
)
STREETS = (
    "Dorpsstraat", "Kerkstraat", "Molenweg", "Industrieweg", "Stationsweg", "Hoofdstraat", "Marktplein",
    "Nieuwstraat", "Schoolstraat", "Julianastraat", "Wilhelminastraat", "Beatrixlaan", "Oranjestraat",
    "Parallelweg", "Energieweg", "Ambachtsweg", "Handelsweg", "Edisonstraat", "Havenstraat",
    "Kastanjelaan", "Lindenlaan", "Eikenlaan", "Spoorstraat", "Kanaalweg", "Rembrandtlaan",
    "Vincent van Goghstraat", "Prins Hendrikkade", "Zuiderkade", "Bedrijvenweg", "Koningin Julianaweg",
)


@dataclass(frozen=True)
class Sector:
    words: tuple[str, ...]
    crebos: tuple[str, ...]
    sbi_code: str
    stichting: float = 0.0
    """Share of companies that are a foundation (Stichting ...)."""


SECTORS = (
    Sector(("Bakkerij", "Banketbakkerij", "Warme Bakker"), ("25173", "25174", "25172", "25183"), "1071"),
    Sector(("Restaurant", "Eetcafé", "Grand Café", "Hotel-Restaurant", "Lunchroom"),
           ("25180", "25182", "25179", "25168", "25171"), "5610"),
    Sector(("Bouwbedrijf", "Aannemersbedrijf", "Timmerbedrijf"),
           ("25128", "25118", "25103", "25102"), "4120"),
    Sector(("Schildersbedrijf", "Afbouwbedrijf"), ("25030", "25029"), "4334"),
    Sector(("Installatiebedrijf", "Elektrotechniek", "Installatietechniek"),
           ("25333", "25332", "25350", "25349"), "4321"),
    Sector(("Autobedrijf", "Garage", "Autoservice"), ("25242", "25244", "25249"), "4520"),
    Sector(("Rijwielhandel", "Fietsenmaker", "Tweewielers"), ("25231", "25167"), "4764"),
    Sector(("Automatisering", "ICT", "Webdevelopment"), ("25187", "25189", "25192"), "6201"),
    Sector(("Supermarkt",), ("25167", "25153", "25371"), "4711"),
    Sector(("Modehuis", "Boutique"), ("25167", "25153"), "4771"),
    Sector(("Administratiekantoor", "Accountantskantoor"), ("25139", "25150"), "6920"),
    Sector(("Transportbedrijf", "Transport", "Logistiek"), ("25371", "25364"), "4941"),
    Sector(("Kapsalon", "Haarstudio"), ("25400", "25399"), "9602"),
    Sector(("Zorgcentrum", "Thuiszorg", "Woonzorgcentrum"),
           ("25491", "25480", "25498", "25251"), "8710", stichting=0.7),
    Sector(("Kinderopvang", "Kinderdagverblijf"), ("25486", "25498"), "8891", stichting=0.4),
    Sector(("Hoveniersbedrijf", "Groenvoorziening"), ("25452", "25455"), "8130"),
)
SIZE_CLASSES = (("1-9", 50), ("10-49", 30), ("50-249", 15), ("250+", 5))
FIRST_GENERATED_ID = 100000100


def _domain_label(name: str) -> str:
    return domain.name_key(name).encode("ascii", "ignore").decode() or "leerbedrijf"


FOREIGN_PLACES: tuple[tuple[str, str, int, int, str], ...] = (
    # country, place, lowest and highest postcode, telephone prefix
    ("BE", "Antwerpen", 2000, 2660, "+32 3"), ("BE", "Gent", 9000, 9052, "+32 9"),
    ("BE", "Brugge", 8000, 8380, "+32 50"), ("BE", "Leuven", 3000, 3012, "+32 16"),
    ("BE", "Hasselt", 3500, 3512, "+32 11"), ("BE", "Mechelen", 2800, 2812, "+32 15"),
    ("BE", "Turnhout", 2300, 2300, "+32 14"), ("BE", "Genk", 3600, 3600, "+32 89"),
    ("DE", "Aachen", 52062, 52080, "+49 241"), ("DE", "Kleve", 47533, 47533, "+49 2821"),
    ("DE", "Emmerich am Rhein", 46446, 46446, "+49 2822"), ("DE", "Münster", 48143, 48167, "+49 251"),
    ("DE", "Düsseldorf", 40210, 40629, "+49 211"), ("DE", "Nordhorn", 48527, 48531, "+49 5921"),
    ("DE", "Gronau", 48599, 48599, "+49 2562"), ("DE", "Köln", 50667, 51149, "+49 221"),
)
FOREIGN_STREETS = {
    "BE": ("Kerkstraat", "Stationsstraat", "Nijverheidsstraat", "Dorpsstraat", "Molenstraat", "Kouter"),
    "DE": ("Hauptstraße", "Bahnhofstraße", "Industriestraße", "Kirchstraße", "Gartenstraße", "Marktplatz"),
}
FIRST_NAMES = (
    "Anna", "Bas", "Daan", "Emma", "Fleur", "Hanna", "Jeroen", "Julia", "Kevin", "Lotte", "Mark", "Mohamed",
    "Noor", "Priya", "Ruben", "Sanne", "Sem", "Sophie", "Thijs", "Yara", "Zoë", "Fatima", "Mehmet", "Inge",
)
ROLES = ("Praktijkopleider", "Eigenaar", "HR-adviseur", "Bedrijfsleider", "Leermeester", "Office manager")
PLACEMENT_TEXTS = {
    "BOL": ("Stageplaats voor een BOL-student, begeleid door een ervaren praktijkopleider.",
            "Meelopen en zelf aan de slag in een klein team.",
            "Afwisselende stage met vaste werkdagen en een eigen project."),
    "BBL": ("Leerwerkplek met arbeidsovereenkomst, vier dagen werken en een dag school.",
            "BBL-plek in een vast team; doorgroeien na de opleiding is mogelijk.",
            "Werken en leren, 32 uur per week, met een vaste leermeester."),
}
PLACEMENT_STARTS = (dt.date(2026, 2, 1), dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2027, 2, 1),
                    dt.date(2027, 9, 1))


class _Rows:
    """Rows per table, in the order they are inserted (parents first)."""

    def __init__(self) -> None:
        self.companies: list[Row] = []
        self.recognitions: list[Row] = []
        self.contacts: list[Row] = []
        self.placements: list[Row] = []
        self.words: list[Row] = []

    def write(self, connection: Connection) -> None:
        """One executemany per table: plain Core inserts, no ORM bookkeeping per row."""
        for model, rows in ((CompanyModel, self.companies), (RecognitionModel, self.recognitions),
                            (ContactModel, self.contacts), (PlacementModel, self.placements),
                            (CompanyWordModel, self.words)):
            if rows:
                connection.execute(insert(model), rows)


def _company(leerbedrijf_id: str, name: str, key: str, label: str, **columns: Any) -> Row:
    row: Row = dict.fromkeys(("postal_street", "postal_number", "postal_suffix", "postal_postcode",
                              "postal_place", "postal_country_code"))
    row.update(leerbedrijf_id=leerbedrijf_id, name=name, name_key=key,
               email=f"info@{label}.example", website=f"https://www.{label}.example", country_code="NL")
    row.update(columns)
    return row


def _demo_rows(rows: _Rows, demo: DemoCompany, placement_ids: list[int]) -> None:
    company = _company(
        demo.leerbedrijf_id, demo.name, domain.name_key(demo.name), _domain_label(demo.name),
        kvk_number=demo.kvk_number, kvk_establishment=demo.kvk_establishment,
        street=demo.street, house_number=demo.house_number,
        house_number_suffix=domain.normalise_suffix(demo.house_number_suffix),
        postcode=domain.normalise_postcode(demo.postcode), place=demo.place, phone=demo.phone,
        size_class=demo.size_class, sbi_code=demo.sbi_code,
    )
    if demo.postal is not None:
        street, number, postcode, place = demo.postal
        company.update(postal_street=street, postal_number=number, postal_postcode=postcode,
                       postal_place=place, postal_country_code="NL")
    rows.companies.append(company)
    rows.recognitions.extend(
        {"leerbedrijf_id": demo.leerbedrijf_id, "crebo": r.crebo, "start_date": r.start, "end_date": r.end,
         "withdrawn_on": r.withdrawn_on, "withdrawal_reason": r.reason, "country_code": "NL"}
        for r in demo.recognitions
    )
    rows.contacts.extend({"leerbedrijf_id": demo.leerbedrijf_id, "name": n, "role": role, "phone": phone,
                          "email": email} for n, role, phone, email in demo.contacts)
    for path, crebo, start, places, text in demo.placements:
        placement_ids[0] += 1
        rows.placements.append({"id": placement_ids[0], "leerbedrijf_id": demo.leerbedrijf_id,
                                "learning_path": path, "crebo": crebo, "start_date": start, "places": places,
                                "description": text})
    rows.words.extend(word_rows(demo.leerbedrijf_id, demo.name, demo.place))


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


BATCH = 5_000
"""Companies generated and then written per round of inserts (with their recognitions, contacts, ...)."""
Progress = Callable[[int, int], object]
"""``progress(done, total)``: companies written so far, and in all."""


def seed(session: Session, seed_number: int = 0, companies: int = 500, *, progress: Progress | None = None) -> int:
    """Fill the SBB tables: qualifications, the demo companies, then generated ones up to *companies*.

    Skips everything and returns 0 when companies already exist; otherwise returns the number
    of companies added. Rows go in by bulk inserts of :data:`BATCH` companies at a time, after
    each of which *progress* is called (the last time with ``done == total``). Inserts and
    flushes, never commits: the whole seed is one transaction of the caller's.
    """
    if session.scalar(select(CompanyModel.leerbedrijf_id).limit(1)) is not None:
        return 0
    known = set(session.scalars(select(QualificationModel.crebo)))
    session.add_all(QualificationModel(crebo=q.crebo, name=q.name, level=q.level)
                    for q in load_qualifications() if q.crebo not in known)
    session.flush()
    connection = session.connection()
    rows = _Rows()
    placement_ids = [0]
    for demo in DEMO_COMPANIES:
        _demo_rows(rows, demo, placement_ids)
    total = max(companies, len(DEMO_COMPANIES))
    generator = _Generator(random.Random(seed_number),  # noqa: S311 - demo data, not secrets
                           random.Random(f"extras {seed_number}"),  # noqa: S311
                           random.Random(f"later {seed_number}"))  # noqa: S311
    generator.next_placement = placement_ids[0]
    done = 0
    while done < total:
        while len(rows.companies) < BATCH and done + len(rows.companies) < total:
            generator.company(rows)
        rows.write(connection)
        done += len(rows.companies)
        rows = _Rows()
        if progress is not None:
            progress(done, total)
    return total
