"""The fixed demo companies of the SBB sandbox: always the same ids, names and addresses.

They are written first, before the generated population, for the README and the tests. The demo
companies (recognitions open-ended, so the outcome never changes with the date):

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
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ketenserver.recognitions import domain
from ketenserver.recognitions.seed_rows import _company, _domain_label, _Rows
from ketenserver.recognitions.storage import word_rows


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
