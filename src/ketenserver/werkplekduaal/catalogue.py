"""The counter's code tables: dual opleidingen, sector partnerships and what each sector allows.

In Flanders a recognition request goes to the competent partnership: the sector partnership of the
company's sector (its joint committee, paritair comité) where that sector has one for the
opleiding, else the Vlaams Partnerschap Duaal Leren. The joint committee is not in KBO: the counter
holds it per enterprise from the employer data (``kbo_storage`` keeps it apart from KBO's rows).
Which sectors allow a deeltijdse arbeidsovereenkomst is a sector agreement; ketenserver's table is
:data:`PART_TIME_EMPLOYMENT`. These tables are ketenserver's choice, modelled on the real ones.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Partnership:
    code: str
    name: str
    joint_committees: frozenset[str]
    """The sectors (joint committees) whose requests it decides."""


@dataclass(frozen=True)
class Opleiding:
    code: str
    name: str
    domain: str


FALLBACK = Partnership("VPDL", "Vlaams Partnerschap Duaal Leren", frozenset())
"""Decides every request no sector partnership is competent for."""

PARTNERSHIPS: dict[str, Partnership] = {p.code: p for p in (
    FALLBACK,
    Partnership("SP_VOEDING", "Sectorpartnerschap Voeding", frozenset({"118", "220"})),
    Partnership("SP_BOUW", "Sectorpartnerschap Bouw", frozenset({"124"})),
    Partnership("SP_HORECA", "Sectorpartnerschap Horeca", frozenset({"302"})),
    Partnership("SP_METAAL", "Sectorpartnerschap Metaal- en Technologische Industrie", frozenset({"111", "209"})),
    Partnership("SP_ELEKTRO", "Sectorpartnerschap Elektrotechniek", frozenset({"149"})),
    Partnership("SP_HANDEL", "Sectorpartnerschap Handel", frozenset({"201", "202", "311", "312"})),
    Partnership("SP_LOGISTIEK", "Sectorpartnerschap Logistiek", frozenset({"140", "226"})),
    Partnership("SP_ZORG", "Sectorpartnerschap Zorg en Welzijn", frozenset({"330", "331", "319"})),
)}

OPLEIDINGEN: dict[str, Opleiding] = {o.code: o for o in (
    Opleiding("BAKKER", "Bakker duaal", "voeding"),
    Opleiding("SLAGER", "Slager-spekslager duaal", "voeding"),
    Opleiding("KOK", "Kok duaal", "horeca"),
    Opleiding("KELNER", "Medewerker restaurant en bar duaal", "horeca"),
    Opleiding("METSELAAR", "Metselaar duaal", "bouw"),
    Opleiding("SCHRIJNWERKER", "Schrijnwerker duaal", "bouw"),
    Opleiding("ELEKTRICIEN", "Elektrotechnisch installateur duaal", "elektro"),
    Opleiding("LASSER", "Lasser-monteerder duaal", "metaal"),
    Opleiding("VERKOPER", "Verkoper duaal", "handel"),
    Opleiding("LOGISTIEK_MEDEWERKER", "Logistiek medewerker duaal", "logistiek"),
    Opleiding("KAPPER", "Kapper duaal", "dienstverlening"),
    Opleiding("ZORGKUNDIGE", "Zorgkundige duaal", "zorg"),
)}

_DOMAIN_PARTNERSHIP = {"voeding": "SP_VOEDING", "horeca": "SP_HORECA", "bouw": "SP_BOUW", "elektro": "SP_ELEKTRO",
                       "metaal": "SP_METAAL", "handel": "SP_HANDEL", "logistiek": "SP_LOGISTIEK", "zorg": "SP_ZORG"}

PART_TIME_EMPLOYMENT: frozenset[str] = frozenset({"124", "149", "111", "209", "302", "118", "220"})
"""Joint committees whose sector agreement allows a deeltijdse arbeidsovereenkomst (industry, building,
hospitality, food); elsewhere a dual student has a stage- or alternerende overeenkomst."""


def opleiding(code: str) -> Opleiding | None:
    return OPLEIDINGEN.get(code)


def partnership_for(joint_committee: str | None, opleiding_code: str) -> Partnership:
    """The competent partnership: the sector's own when it covers the opleiding's domain, else VPDL."""
    known = OPLEIDINGEN.get(opleiding_code)
    if known is not None and joint_committee is not None:
        code = _DOMAIN_PARTNERSHIP.get(known.domain)
        if code is not None and joint_committee in PARTNERSHIPS[code].joint_committees:
            return PARTNERSHIPS[code]
    return FALLBACK


def allows_part_time_employment(joint_committee: str | None) -> bool:
    return joint_committee is not None and joint_committee in PART_TIME_EMPLOYMENT
