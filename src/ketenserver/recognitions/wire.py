"""Spyne models of the SBB recognitions contract (``xsd/sbb-erkenningen.xsd`` and ``common.xsd``).

Each model restates one published type, with the same name, namespace, element order,
occurrences and facets, so that spyne serialises exactly what the XSD declares; the contract
tests compare spyne's generated schema with the published files. Element names are the
contract's Dutch ones; the mapping to snake_case domain values lives in
:mod:`~ketenserver.recognitions.service`. The occurrence helpers and the ``common.xsd`` types
(``Adres``, ``Crebo``, ...) come from :mod:`ketenserver.wiremodels`.
"""

from __future__ import annotations

from typing import Any

from spyne import AnyUri, Boolean, ComplexModel, Date, Integer32, Unicode

from ketencore import names as ns
from ketenserver.recognitions import NAMESPACE

# The names marked F401 are not used here but stay importable from this module, as before the move.
from ketenserver.wiremodels import (
    Adres,
    AdresPostcode,  # noqa: F401
    C,  # noqa: F401
    Crebo,
    Huisnummer,
    HuisnummerToevoeging,
    KvkNummer,
    KvkVestigingsnummer,
    Landcode,  # noqa: F401
    LeerbedrijfId,
    Melding,
    Plaatsnaam,  # noqa: F401
    Postcode,
    Signaalcode,
    Straatnaam,  # noqa: F401
    _occurs,  # noqa: F401
    optional,
    repeated,
    required,
    simple,
)

TNS = NAMESPACE


def qualified(local: str) -> str:
    """``{urn:...:erkenningen:2.1}<local>``: how spyne's ``@rpc`` takes an element's namespace."""
    return ns.qn(TNS, local)


# --- urn:ketenserver:sbb:whitelabel:erkenningen:2.1

Bedrijfsnaam = simple(Unicode, "Bedrijfsnaam", TNS, min_len=1, max_len=200)
KwalificatieOmschrijving = simple(Unicode, "KwalificatieOmschrijving", TNS, min_len=1, max_len=200)
Niveau = simple(Integer32, "Niveau", TNS, ge=1, le=4)


class Erkenning(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Crebo", required(Crebo)),
        ("Omschrijving", required(KwalificatieOmschrijving)),
        ("Niveau", required(Niveau)),
        ("Begindatum", required(Date)),
        ("Einddatum", optional(Date)),
    )


class Erkenningen(ComplexModel):
    __namespace__ = TNS
    _type_info = (("Erkenning", repeated(Erkenning)),)


class Leerbedrijf(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("LeerbedrijfId", required(LeerbedrijfId)),
        ("Naam", required(Bedrijfsnaam)),
        ("KvkNummer", required(KvkNummer)),
        ("KvkVestigingsnummer", optional(KvkVestigingsnummer)),
        ("Vestigingsadres", required(Adres)),
        ("Erkend", required(Boolean)),
        ("Erkenningen", required(Erkenningen)),
    )


class VaststellenLeerbedrijf(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Naam", required(Bedrijfsnaam)),
        ("Postcode", required(Postcode)),
        ("Huisnummer", optional(Huisnummer)),
        ("HuisnummerToevoeging", optional(HuisnummerToevoeging)),
    )


class VaststellenLeerbedrijfResponse(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Signaalcode", required(Signaalcode)),
        ("Melding", required(Melding)),
        ("Leerbedrijf", repeated(Leerbedrijf, 10)),
    )


# --- NatrekkenErkenning (verify a recognition on a date)


class NatrekkenErkenning(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("LeerbedrijfId", required(LeerbedrijfId)),
        ("Crebo", required(Crebo)),
        ("Begindatum", required(Date)),
    )


class NatrekkenErkenningResponse(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Signaalcode", required(Signaalcode)),
        ("Melding", required(Melding)),
        ("Erkend", required(Boolean)),
        ("Begindatum", optional(Date)),
        ("Einddatum", optional(Date)),
    )


# --- OpvragenDetailgegevens (all contact information of a company)

Telefoonnummer = simple(Unicode, "Telefoonnummer", TNS, min_len=1, max_len=20)
Emailadres = simple(Unicode, "Emailadres", TNS, min_len=3, max_len=254)
Website = simple(Unicode, "Website", TNS, min_len=1, max_len=200)
Grootteklasse = simple(Unicode, "Grootteklasse", TNS, min_len=1, max_len=20)
SbiCode = simple(Unicode, "SbiCode", TNS, pattern="[0-9]{2,6}")
Persoonsnaam = simple(Unicode, "Persoonsnaam", TNS, min_len=1, max_len=200)
Functie = simple(Unicode, "Functie", TNS, min_len=1, max_len=100)
Aantal = simple(Integer32, "Aantal", TNS, ge=0)


class Contactpersoon(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Naam", required(Persoonsnaam)),
        ("Functie", required(Functie)),
        ("Telefoon", optional(Telefoonnummer)),
        ("Email", optional(Emailadres)),
    )


class Contactpersonen(ComplexModel):
    __namespace__ = TNS
    _type_info = (("Contactpersoon", repeated(Contactpersoon)),)


class Leerbedrijfgegevens(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("LeerbedrijfId", required(LeerbedrijfId)),
        ("Naam", required(Bedrijfsnaam)),
        ("KvkNummer", required(KvkNummer)),
        ("KvkVestigingsnummer", optional(KvkVestigingsnummer)),
        ("Vestigingsadres", required(Adres)),
        ("Postadres", optional(Adres)),
        ("Telefoon", optional(Telefoonnummer)),
        ("Email", optional(Emailadres)),
        ("Website", optional(Website)),
        ("Grootteklasse", optional(Grootteklasse)),
        ("SbiCode", optional(SbiCode)),
        ("AantalStageplaatsen", required(Aantal)),
        ("Erkend", required(Boolean)),
        ("Contactpersonen", required(Contactpersonen)),
    )


class OpvragenDetailgegevens(ComplexModel):
    __namespace__ = TNS
    _type_info = (("LeerbedrijfId", required(LeerbedrijfId)),)


class OpvragenDetailgegevensResponse(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Signaalcode", required(Signaalcode)),
        ("Melding", required(Melding)),
        ("Leerbedrijfgegevens", required(Leerbedrijfgegevens)),
    )


# --- OpvragenErkenningen (search recognised companies and their placement places)

Zoekterm = simple(Unicode, "Zoekterm", TNS, min_len=1, max_len=200)
Land = simple(Unicode, "Land", TNS, pattern="NL|BE|DE")
PaginaGrootte = simple(Integer32, "PaginaGrootte", TNS, ge=1, le=100)
VervolgToken = simple(Unicode, "VervolgToken", TNS, min_len=1, max_len=200)
Leerweg = simple(Unicode, "Leerweg", TNS, pattern="BOL|BBL")
StageplaatsId = simple(Integer32, "StageplaatsId", TNS, ge=1)
AantalPlaatsen = simple(Integer32, "AantalPlaatsen", TNS, ge=1)
Toelichting = simple(Unicode, "Toelichting", TNS, min_len=1, max_len=500)


class Stageplaats(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("StageplaatsId", required(StageplaatsId)),
        ("Leerweg", required(Leerweg)),
        ("Crebo", required(Crebo)),
        ("Omschrijving", required(KwalificatieOmschrijving)),
        ("Niveau", required(Niveau)),
        ("Begindatum", required(Date)),
        ("AantalPlaatsen", required(AantalPlaatsen)),
        ("Toelichting", required(Toelichting)),
    )


class Stageplaatsen(ComplexModel):
    __namespace__ = TNS
    _type_info = (("Stageplaats", repeated(Stageplaats)),)


class GevondenLeerbedrijf(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("LeerbedrijfId", required(LeerbedrijfId)),
        ("Naam", required(Bedrijfsnaam)),
        ("Vestigingsadres", required(Adres)),
        ("Erkenningen", required(Erkenningen)),
        ("Stageplaatsen", required(Stageplaatsen)),
    )


class OpvragenErkenningen(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Crebo", optional(Crebo)),
        ("Kwalificatienaam", optional(Zoekterm)),
        ("LeerbedrijfId", optional(LeerbedrijfId)),
        ("Bedrijfsnaam", optional(Zoekterm)),
        ("Plaats", optional(Zoekterm)),
        ("Land", optional(Land)),
        ("PaginaGrootte", optional(PaginaGrootte)),
        ("VervolgToken", optional(VervolgToken)),
    )


class OpvragenErkenningenResponse(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Signaalcode", required(Signaalcode)),
        ("Melding", required(Melding)),
        ("Totaal", required(Aantal)),
        ("MeerDanTotaal", optional(Boolean)),
        ("VervolgToken", optional(VervolgToken)),
        ("Leerbedrijf", repeated(GevondenLeerbedrijf, 100)),
    )


# --- Placement agreements (bpv-overeenkomsten)

OvereenkomstId = simple(Integer32, "OvereenkomstId", TNS, ge=1)
Studentnummer = simple(Unicode, "Studentnummer", TNS, min_len=1, max_len=20)
Reden = simple(Unicode, "Reden", TNS, min_len=1, max_len=200)


class BpvOvereenkomst(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("OvereenkomstId", required(OvereenkomstId)),
        ("Studentnummer", required(Studentnummer)),
        ("LeerbedrijfId", required(LeerbedrijfId)),
        ("Crebo", required(Crebo)),
        ("Begindatum", required(Date)),
        ("GeplandeEinddatum", required(Date)),
        ("Leerweg", required(Leerweg)),
        ("Einddatum", optional(Date)),
        ("RedenBeeindiging", optional(Reden)),
    )


class RegistrerenBpvOvereenkomst(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Studentnummer", required(Studentnummer)),
        ("LeerbedrijfId", required(LeerbedrijfId)),
        ("Crebo", required(Crebo)),
        ("Begindatum", required(Date)),
        ("GeplandeEinddatum", required(Date)),
        ("Leerweg", required(Leerweg)),
    )


def _agreement_reply(name: str) -> Any:
    return type(name, (ComplexModel,), {
        "__namespace__": TNS,
        "_type_info": (
            ("Signaalcode", required(Signaalcode)),
            ("Melding", required(Melding)),
            ("BpvOvereenkomst", required(BpvOvereenkomst)),
        ),
    })


RegistrerenBpvOvereenkomstResponse = _agreement_reply("RegistrerenBpvOvereenkomstResponse")
WijzigenBpvOvereenkomstResponse = _agreement_reply("WijzigenBpvOvereenkomstResponse")
BeeindigenBpvOvereenkomstResponse = _agreement_reply("BeeindigenBpvOvereenkomstResponse")


class WijzigenBpvOvereenkomst(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("OvereenkomstId", required(OvereenkomstId)),
        ("GeplandeEinddatum", optional(Date)),
        ("Leerweg", optional(Leerweg)),
    )


class BeeindigenBpvOvereenkomst(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("OvereenkomstId", required(OvereenkomstId)),
        ("Einddatum", required(Date)),
        ("Reden", required(Reden)),
    )


class OpvragenBpvOvereenkomsten(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("PaginaGrootte", optional(PaginaGrootte)),
        ("NaOvereenkomstId", optional(OvereenkomstId)),
    )


class OpvragenBpvOvereenkomstenResponse(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Signaalcode", required(Signaalcode)),
        ("Melding", required(Melding)),
        ("Totaal", required(Aantal)),
        ("VervolgNa", optional(OvereenkomstId)),
        ("BpvOvereenkomst", repeated(BpvOvereenkomst)),
    )


# --- Erkenningsvoordracht

Referentie = simple(Unicode, "Referentie", TNS, pattern="EV-[0-9]{6,9}")
VoordrachtStatus = simple(Unicode, "VoordrachtStatus", TNS, pattern="Ontvangen|In behandeling|Erkend|Afgewezen")


class IndienenErkenningsvoordracht(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Naam", required(Bedrijfsnaam)),
        ("Vestigingsadres", required(Adres)),
        ("KvkNummer", required(KvkNummer)),
        ("Crebo", required(Crebo)),
        ("Contactpersoon", required(Contactpersoon)),
    )


class IndienenErkenningsvoordrachtResponse(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Signaalcode", required(Signaalcode)),
        ("Melding", required(Melding)),
        ("Referentie", required(Referentie)),
        ("Status", required(VoordrachtStatus)),
    )


class OpvragenStatusErkenningsvoordracht(ComplexModel):
    __namespace__ = TNS
    _type_info = (("Referentie", required(Referentie)),)


class OpvragenStatusErkenningsvoordrachtResponse(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Signaalcode", required(Signaalcode)),
        ("Melding", required(Melding)),
        ("Referentie", required(Referentie)),
        ("Status", required(VoordrachtStatus)),
        ("LeerbedrijfId", optional(LeerbedrijfId)),
    )


# --- Actualiseren erkenning (mutation service, pull)

AbonnementId = simple(Integer32, "AbonnementId", TNS, ge=1)
Volgnummer = simple(Integer32, "Volgnummer", TNS, ge=0)
MutatieSoort = simple(Unicode, "MutatieSoort", TNS, pattern="ingetrokken|beeindigd")
AbonnementSoort = simple(Unicode, "AbonnementSoort", TNS, pattern="Erkenningsmutaties")
Afleverwijze = simple(Unicode, "Afleverwijze", TNS, pattern="Ophalen|Aanbieden")
Afleveradres = simple(AnyUri, "Afleveradres", TNS, max_len=500, pattern=r"https://\S+")


class Mutatieabonnement(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("AbonnementId", required(AbonnementId)),
        ("Soort", required(AbonnementSoort)),
        ("Ingangsdatum", required(Date)),
        ("BevestigdTot", required(Volgnummer)),
        ("Afleverwijze", required(Afleverwijze)),
        ("Afleveradres", optional(Afleveradres)),
    )


class AanmeldenMutatieabonnement(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Soort", optional(AbonnementSoort)),
        ("Afleveradres", optional(Afleveradres)),
    )


class WijzigenMutatieabonnement(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Soort", optional(AbonnementSoort)),
        ("Afleveradres", optional(Afleveradres)),
    )


class WijzigenMutatieabonnementResponse(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Signaalcode", required(Signaalcode)),
        ("Melding", required(Melding)),
        ("Mutatieabonnement", required(Mutatieabonnement)),
    )


class AanmeldenMutatieabonnementResponse(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Signaalcode", required(Signaalcode)),
        ("Melding", required(Melding)),
        ("Mutatieabonnement", required(Mutatieabonnement)),
    )


class OpvragenAbonnementen(ComplexModel):
    __namespace__ = TNS
    _type_info = (("Soort", optional(AbonnementSoort)),)


class OpvragenAbonnementenResponse(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Signaalcode", required(Signaalcode)),
        ("Melding", required(Melding)),
        ("Mutatieabonnement", repeated(Mutatieabonnement)),
    )


class Mutatie(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Volgnummer", required(Volgnummer)),
        ("LeerbedrijfId", required(LeerbedrijfId)),
        ("Crebo", required(Crebo)),
        ("Soort", required(MutatieSoort)),
        ("Reden", required(Reden)),
        ("Ingangsdatum", required(Date)),
    )


class OphalenMutaties(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("NaVolgnummer", optional(Volgnummer)),
        ("PaginaGrootte", optional(PaginaGrootte)),
    )


class OphalenMutatiesResponse(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Signaalcode", required(Signaalcode)),
        ("Melding", required(Melding)),
        ("BevestigdTot", required(Volgnummer)),
        ("Meer", required(Boolean)),
        ("Mutatie", repeated(Mutatie, 100)),
    )


class BevestigenMutaties(ComplexModel):
    __namespace__ = TNS
    _type_info = (("TotEnMetVolgnummer", required(Volgnummer)),)


class BevestigenMutatiesResponse(ComplexModel):
    __namespace__ = TNS
    _type_info = (
        ("Signaalcode", required(Signaalcode)),
        ("Melding", required(Melding)),
        ("BevestigdTot", required(Volgnummer)),
    )
