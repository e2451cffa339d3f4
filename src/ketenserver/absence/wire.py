"""Spyne models of DUO's Verzuimloket contract (``xsd/duo-verzuimloket.xsd`` and ``common.xsd``).

Each model restates one published type, with the same name, namespace, element order,
occurrences and facets, so that spyne serialises exactly what the XSD declares; the contract
test compares spyne's generated schema with the published files. Element names are the
contract's Dutch ones; the mapping to snake_case domain values lives in
:mod:`~ketenserver.absence.service`. The occurrence helpers and the ``common.xsd`` types come
from :mod:`ketenserver.wiremodels`.
"""

from __future__ import annotations

from spyne import Boolean, ByteArray, ComplexModel, Date, DateTime, Integer32, Integer64, Unicode

from ketencore import names as ns
from ketenserver.absence import NAMESPACE
from ketenserver.wiremodels import (
    Brin,
    Bsn,
    Huisnummer,
    HuisnummerToevoeging,
    Onderwijsnummer,
    Plaatsnaam,
    Postcode,
    Straatnaam,
    optional,
    repeated,
    required,
    simple,
)

TNS = NAMESPACE


def qualified(local: str) -> str:
    """``{urn:ketenserver:duo:verzuimloket:1}<local>``: how spyne's ``@rpc`` takes an element's namespace."""
    return ns.qn(TNS, local)


# --- Simple types of this service

Meldingnummer = simple(Unicode, "Meldingnummer", TNS, pattern="[0-9]{10,14}")
Status = simple(Unicode, "Status", TNS, values=[
    "Geregistreerd", "In behandeling", "Afgesloten", "Ter kennisgeving aangenomen", "Ingetrokken",
])
Terugmeldingstatus = simple(Unicode, "Terugmeldingstatus", TNS, values=[
    "In behandeling", "Afgesloten", "Ter kennisgeving aangenomen",
])
Verzuimsoort = simple(Unicode, "Verzuimsoort", TNS, min_len=1, max_len=40)
Naam = simple(Unicode, "Naam", TNS, min_len=1, max_len=200)
Voorvoegsel = simple(Unicode, "Voorvoegsel", TNS, min_len=1, max_len=10)
Vestigingsnummer = simple(Unicode, "Vestigingsnummer", TNS, pattern="[0-9]{2}")
Schooljaar = simple(Unicode, "Schooljaar", TNS, pattern="[0-9]{4}-[0-9]{4}")
Omschrijving40 = simple(Unicode, "Omschrijving40", TNS, min_len=1, max_len=40)
Tekst100 = simple(Unicode, "Tekst100", TNS, min_len=1, max_len=100)
Tekst200 = simple(Unicode, "Tekst200", TNS, min_len=1, max_len=200)
Email = simple(Unicode, "Email", TNS, max_len=254, pattern=r"[^@\s]+@[^@\s]+\.[^@\s]+")
Telefoonnummer = simple(Unicode, "Telefoonnummer", TNS, pattern=r"[0-9+\-() ]{6,20}")
Gemeentecode = simple(Unicode, "Gemeentecode", TNS, pattern="[0-9]{4}")
Gemeentenaam = simple(Unicode, "Gemeentenaam", TNS, min_len=1, max_len=80)
Bestandsnaam = simple(Unicode, "Bestandsnaam", TNS, min_len=1, max_len=255)
Inhoudstype = simple(Unicode, "Inhoudstype", TNS, values=["application/pdf", "image/png", "image/jpeg"])
Lesuur = simple(Integer32, "Lesuur", TNS, ge=1, le=12)
Cursor = simple(Integer64, "Cursor", TNS, ge=0)
PaginaGrootte = simple(Integer32, "PaginaGrootte", TNS, ge=1, le=500)


# --- The parts of a report


class Woonadres(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Straat", required(Straatnaam)),
        ("Huisnummer", required(Huisnummer)),
        ("HuisnummerToevoeging", optional(HuisnummerToevoeging)),
        ("Postcode", required(Postcode)),
        ("Plaats", required(Plaatsnaam)),
    )


class Leerling(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Bsn", optional(Bsn)),
        ("Onderwijsnummer", optional(Onderwijsnummer)),
        ("Voornamen", required(Naam)),
        ("Voorvoegsel", optional(Voorvoegsel)),
        ("Achternaam", required(Naam)),
        ("Geboortedatum", required(Date)),
        ("Woonadres", required(Woonadres)),
    )


class School(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Brin", required(Brin)),
        ("Vestigingsnummer", required(Vestigingsnummer)),
    )


class Periode(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Begindatum", required(Date)),
        ("Einddatum", required(Date)),
    )


class Melder(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Email", required(Email)),
        ("Rol", required(Tekst100)),
        ("Contactpersoon", required(Naam)),
        ("Telefoon", optional(Telefoonnummer)),
    )


class Bijlage(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Bestandsnaam", required(Bestandsnaam)),
        ("Inhoud", required(ByteArray)),
    )


class Bijlagen(ComplexModel):
    __namespace__ = TNS
    _type_info = (("Bijlage", repeated(Bijlage, 10)),)


class BijlageGegevens(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Bestandsnaam", required(Bestandsnaam)),
        ("Inhoudstype", required(Inhoudstype)),
        ("Grootte", required(Integer32)),
        ("Sha256", required(Unicode)),
    )


class BijlagenGegevens(ComplexModel):
    __namespace__ = TNS
    _type_info = (("BijlageGegevens", repeated(BijlageGegevens)),)


class Verzuimdag(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Datum", required(Date)),
        ("HeleDag", optional(Boolean)),
        ("Lesuur", repeated(Lesuur, 12)),
    )


class Verzuimdagen(ComplexModel):
    __namespace__ = TNS
    _type_info = (("Verzuimdag", repeated(Verzuimdag)),)


class Gemeente(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Code", required(Gemeentecode)),
        ("Naam", required(Gemeentenaam)),
    )


class Behandelaar(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Naam", required(Naam)),
        ("Telefoon", required(Telefoonnummer)),
        ("Email", required(Email)),
    )


class Terugmelding(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Volgnummer", required(Cursor)),
        ("Meldingnummer", required(Meldingnummer)),
        ("Status", required(Terugmeldingstatus)),
        ("Behandelaar", required(Behandelaar)),
        ("Toelichting", required(Tekst200)),
        ("Tijdstip", required(DateTime)),
    )


class Terugmeldingen(ComplexModel):
    __namespace__ = TNS
    _type_info = (("Terugmelding", repeated(Terugmelding)),)


class Intrekking(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Reden", required(Tekst200)),
        ("Tijdstip", required(DateTime)),
    )


class Verzuimdagspecificatie(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("ZichtbaarVoorGemeente", required(Boolean)),
        ("Verzuimdagen", required(Verzuimdagen)),
    )


class Verzuimmelding(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Meldingnummer", required(Meldingnummer)),
        ("Wijzigingsvolgnummer", required(Cursor)),
        ("Status", required(Status)),
        ("Geregistreerd", required(DateTime)),
        ("VorigMeldingnummer", optional(Meldingnummer)),
        ("Gemeente", required(Gemeente)),
        ("Leerling", required(Leerling)),
        ("School", required(School)),
        ("Schooljaar", required(Schooljaar)),
        ("Niveau", required(Omschrijving40)),
        ("Leerweg", required(Omschrijving40)),
        ("Voltijd", required(Boolean)),
        ("Verzuimsoort", required(Verzuimsoort)),
        ("Periode", required(Periode)),
        ("VermoedelijkeReden", optional(Tekst200)),
        ("Toelichting", optional(Tekst100)),
        ("OndernomenActie", optional(Tekst100)),
        ("ToelichtingActie", optional(Tekst200)),
        ("Melder", required(Melder)),
        ("AlleLessenVerzuimd", required(Boolean)),
        ("OntvangenBijlagen", required(BijlagenGegevens)),
        ("Verzuimdagspecificatie", required(Verzuimdagspecificatie)),
        ("Intrekking", optional(Intrekking)),
        ("Terugmeldingen", required(Terugmeldingen)),
    )


# --- IndienenVerzuimmelding (submit a report)


class IndienenVerzuimmelding(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Leerling", required(Leerling)),
        ("School", required(School)),
        ("Schooljaar", required(Schooljaar)),
        ("Niveau", required(Omschrijving40)),
        ("Leerweg", required(Omschrijving40)),
        ("Voltijd", required(Boolean)),
        ("Verzuimsoort", required(Verzuimsoort)),
        ("Periode", required(Periode)),
        ("VermoedelijkeReden", optional(Tekst200)),
        ("Toelichting", optional(Tekst100)),
        ("OndernomenActie", optional(Tekst100)),
        ("ToelichtingActie", optional(Tekst200)),
        ("Melder", required(Melder)),
        ("AlleLessenVerzuimd", required(Boolean)),
        ("Bijlagen", optional(Bijlagen)),
    )


class IndienenVerzuimmeldingResponse(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Meldingnummer", required(Meldingnummer)),
        ("Status", required(Status)),
        ("Geregistreerd", required(DateTime)),
        ("Gemeente", required(Gemeente)),
        ("OntvangenBijlagen", required(BijlagenGegevens)),
    )


# --- KlonenVerzuimmelding (follow-up report for continued absence)


class KlonenVerzuimmelding(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Meldingnummer", required(Meldingnummer)),
        ("Periode", required(Periode)),
        ("VermoedelijkeReden", optional(Tekst200)),
        ("Toelichting", optional(Tekst100)),
        ("AlleLessenVerzuimd", optional(Boolean)),
        ("Bijlagen", optional(Bijlagen)),
    )


class KlonenVerzuimmeldingResponse(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Meldingnummer", required(Meldingnummer)),
        ("VorigMeldingnummer", required(Meldingnummer)),
        ("Status", required(Status)),
        ("Geregistreerd", required(DateTime)),
        ("Gemeente", required(Gemeente)),
        ("OntvangenBijlagen", required(BijlagenGegevens)),
    )


# --- AanleverenVerzuimdagspecificatie (day specification)


class AanleverenVerzuimdagspecificatie(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Meldingnummer", required(Meldingnummer)),
        ("Verzuimdag", repeated(Verzuimdag, 366, min_occurs=1)),
    )


class AanleverenVerzuimdagspecificatieResponse(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Meldingnummer", required(Meldingnummer)),
        ("AantalDagen", required(Integer32)),
        ("ZichtbaarVoorGemeente", required(Boolean)),
    )


# --- IntrekkenVerzuimmelding (withdraw)


class IntrekkenVerzuimmelding(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Meldingnummer", required(Meldingnummer)),
        ("Reden", required(Tekst200)),
    )


class IntrekkenVerzuimmeldingResponse(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Meldingnummer", required(Meldingnummer)),
        ("Status", required(Status)),
    )


# --- OpvragenVerzuimmelding (read one report)


class OpvragenVerzuimmelding(ComplexModel):
    __namespace__ = TNS
    _type_info = (("Meldingnummer", required(Meldingnummer)),)


class OpvragenVerzuimmeldingResponse(ComplexModel):
    __namespace__ = TNS
    _type_info = (("Verzuimmelding", required(Verzuimmelding)),)


# --- SynchroniserenVerzuimmeldingen and OphalenTerugmeldingen (changes after a cursor, in pages)


class SynchroniserenVerzuimmeldingen(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Cursor", optional(Cursor)),
        ("PaginaGrootte", optional(PaginaGrootte)),
    )


class SynchroniserenVerzuimmeldingenResponse(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Verzuimmelding", repeated(Verzuimmelding)),
        ("VolgendeCursor", required(Cursor)),
        ("Meer", required(Boolean)),
    )


class OphalenTerugmeldingen(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Cursor", optional(Cursor)),
        ("PaginaGrootte", optional(PaginaGrootte)),
    )


class OphalenTerugmeldingenResponse(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Terugmelding", repeated(Terugmelding)),
        ("VolgendeCursor", required(Cursor)),
        ("Meer", required(Boolean)),
    )
