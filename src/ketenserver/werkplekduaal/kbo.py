"""The counter's copy of the enterprise register KBO (Kruispuntdatabank van Ondernemingen): values and files.

werkplekduaal takes company and establishment data from KBO and applies KBO's address and status
changes weekly. This module holds the domain values, the port the rules read the register through
(:class:`KboRegister`), and KBO's open-data update format (:func:`read_update`, :class:`UpdateWriter`):

- one CSV file per entity and kind, ``<entity>_delete.csv`` and ``<entity>_insert.csv``: comma
  separated, a header row, every value double-quoted, UTF-8; the entities read here are
  ``enterprise``, ``establishment``, ``denomination`` and ``address`` (:data:`HEADERS`);
- a delete file holds only the entity's number; an update deletes every row of each entity listed
  and then inserts its current rows; an entity without files in a set did not change;
- numbers are written ``0123.456.749`` (enterprise) and ``2.147.812.701`` (establishment), dates
  ``dd-mm-yyyy``; a Belgian address has empty country columns;
- KBO's open data lists active entities only: an entity deleted and not inserted again has stopped.

A malformed file is refused whole with a :class:`KboFileError` naming the file, line and column.

The joint committee (paritair comité) of an enterprise is not in KBO: the counter holds it from the
employer data (RSZ), apart from KBO's rows, so an update never loses it.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from ketenserver import identifiers

ACTIVE, STOPPED = "AC", "ST"
"""KBO's status codes: active, stopped."""
MOVED_CHANGE, STOPPED_CHANGE = "MOVED", "STOPPED"
"""The kinds of :class:`EstablishmentChange`."""

HEADERS: dict[str, tuple[str, ...]] = {
    "enterprise": ("EnterpriseNumber", "Status", "JuridicalSituation", "TypeOfEnterprise", "JuridicalForm",
                   "JuridicalFormCAC", "StartDate"),
    "establishment": ("EstablishmentNumber", "StartDate", "EnterpriseNumber"),
    "denomination": ("EntityNumber", "Language", "TypeOfDenomination", "Denomination"),
    "address": ("EntityNumber", "TypeOfAddress", "CountryNL", "CountryFR", "Zipcode", "MunicipalityNL",
                "MunicipalityFR", "StreetNL", "StreetFR", "HouseNumber", "Box", "ExtraAddressInfo",
                "DateStrikingOff"),
}
"""The columns of each entity's insert file; its delete file has the first column only."""
ENTITIES = tuple(HEADERS)

ESTABLISHMENT_ADDRESS, SEAT_ADDRESS = "BAET", "REGO"
"""TypeOfAddress: an establishment unit's address, an enterprise's registered seat."""
LEGAL_NAME, COMMERCIAL_NAME = "001", "003"
"""TypeOfDenomination (002, the abbreviation, is not shown by the counter)."""
_LANGUAGE_ORDER = ("2", "0", "1", "3", "4")  # Dutch, unknown, French, German, English: the counter is Flemish

FLEMISH_PLACES: tuple[tuple[str, str], ...] = (
    ("9000", "Gent"), ("9050", "Gentbrugge"), ("9100", "Sint-Niklaas"), ("9200", "Dendermonde"), ("9300", "Aalst"),
    ("9400", "Ninove"), ("9500", "Geraardsbergen"), ("9600", "Ronse"), ("9620", "Zottegem"), ("9700", "Oudenaarde"),
    ("9800", "Deinze"), ("9900", "Eeklo"), ("9120", "Beveren"), ("9160", "Lokeren"), ("9230", "Wetteren"),
    ("9240", "Zele"), ("2000", "Antwerpen"), ("2100", "Deurne"), ("2140", "Borgerhout"), ("2170", "Merksem"),
    ("2200", "Herentals"), ("2220", "Heist-op-den-Berg"), ("2300", "Turnhout"), ("2400", "Mol"), ("2440", "Geel"),
    ("2500", "Lier"), ("2600", "Berchem"), ("2650", "Edegem"), ("2800", "Mechelen"), ("2900", "Schoten"),
    ("2930", "Brasschaat"), ("3000", "Leuven"), ("3010", "Kessel-Lo"), ("3200", "Aarschot"), ("3290", "Diest"),
    ("3300", "Tienen"), ("1500", "Halle"), ("1700", "Dilbeek"), ("1800", "Vilvoorde"), ("1930", "Zaventem"),
    ("1970", "Wezembeek-Oppem"), ("3500", "Hasselt"), ("3580", "Beringen"), ("3600", "Genk"),
    ("3630", "Maasmechelen"), ("3700", "Tongeren"), ("3740", "Bilzen"), ("3800", "Sint-Truiden"), ("3900", "Pelt"),
    ("3920", "Lommel"), ("8000", "Brugge"), ("8200", "Sint-Andries"), ("8300", "Knokke-Heist"), ("8400", "Oostende"),
    ("8500", "Kortrijk"), ("8560", "Wevelgem"), ("8600", "Diksmuide"), ("8700", "Tielt"), ("8790", "Waregem"),
    ("8800", "Roeselare"), ("8900", "Ieper"), ("8930", "Menen"),
)
"""Real Flemish municipalities with a postcode of theirs (bpost), for generated KBO data."""
STREETS: tuple[str, ...] = (
    "Kerkstraat", "Stationsstraat", "Dorpsstraat", "Molenstraat", "Nieuwstraat", "Schoolstraat", "Kapelstraat",
    "Steenweg", "Markt", "Grote Markt", "Industrielaan", "Nijverheidsstraat", "Kouter", "Veldstraat", "Beekstraat",
    "Hoogstraat", "Brugstraat", "Lindenlaan", "Meersstraat", "Koningin Astridlaan", "Leopoldlaan", "Ambachtenlaan",
    "Zandstraat", "Bosstraat", "Vaartstraat", "Kasteelstraat", "Hoekstraat", "Ringlaan", "Langestraat",
    "Pastorijstraat",
)
"""Street names found in most Flemish municipalities."""

_PROVINCES = ((1000, 1299, "Brussel"), (1300, 1499, "Waals-Brabant"), (1500, 1999, "Vlaams-Brabant"),
              (2000, 2999, "Antwerpen"), (3000, 3499, "Vlaams-Brabant"), (3500, 3999, "Limburg"),
              (4000, 4999, "Luik"), (5000, 5999, "Namen"), (6000, 6599, "Henegouwen"), (6600, 6999, "Luxemburg"),
              (7000, 7999, "Henegouwen"), (8000, 8999, "West-Vlaanderen"), (9000, 9999, "Oost-Vlaanderen"))


def province_of(postcode: str) -> str:
    """The Belgian province (or Brussel) of a postcode, by bpost's ranges."""
    code = int(identifiers.belgian_postcode(postcode))
    return next(name for low, high, name in _PROVINCES if low <= code <= high)


# --- The register's values and port -------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    """A Belgian address as the counter shows it (KBO's Dutch names)."""

    street: str
    house_number: str
    box: str | None
    postcode: str
    municipality: str

    @property
    def province(self) -> str:
        return province_of(self.postcode)

    def __str__(self) -> str:
        box = f" bus {self.box}" if self.box else ""
        return f"{self.street} {self.house_number}{box}, {self.postcode} {self.municipality}"


@dataclass(frozen=True)
class Enterprise:
    number: str
    name: str
    status: str
    """:data:`ACTIVE` or :data:`STOPPED`."""
    start_date: dt.date
    joint_committee: str | None
    """From the employer data (RSZ), not from KBO: ``None`` when the counter has none."""


@dataclass(frozen=True)
class Establishment:
    number: str
    enterprise_number: str
    name: str
    address: Address
    status: str
    """:data:`ACTIVE` or :data:`STOPPED`."""
    start_date: dt.date


@dataclass(frozen=True)
class EstablishmentChange:
    """What a KBO update did to an establishment that matters to its recognitions."""

    establishment_number: str
    enterprise_number: str
    kind: str
    """:data:`MOVED_CHANGE` (its address changed) or :data:`STOPPED_CHANGE` (it, or its enterprise, stopped)."""
    old_address: Address | None
    new_address: Address | None
    """The address after the update; ``None`` for a stop."""


class KboRegister(Protocol):
    """The register as the counter's rules read it."""

    def enterprise(self, number: str) -> Enterprise | None: ...

    def establishment(self, number: str) -> Establishment | None: ...

    def establishments_of(self, enterprise_number: str) -> list[Establishment]: ...


# --- Update files: the records ---------------------------------------------------------------


class KboFileError(ValueError):
    """A KBO update file that cannot be applied; the message names the file, line and column."""


@dataclass(frozen=True)
class EnterpriseRecord:
    number: str
    status: str
    start_date: dt.date


@dataclass(frozen=True)
class EstablishmentRecord:
    number: str
    enterprise_number: str
    start_date: dt.date


@dataclass(frozen=True)
class DenominationRecord:
    entity_number: str
    language: str
    kind: str
    """TypeOfDenomination: :data:`LEGAL_NAME`, ``002`` (abbreviation) or :data:`COMMERCIAL_NAME`."""
    text: str


@dataclass(frozen=True)
class AddressRecord:
    entity_number: str
    kind: str
    """TypeOfAddress: :data:`ESTABLISHMENT_ADDRESS`, :data:`SEAT_ADDRESS`, ..."""
    address: Address | None
    """``None`` for an address abroad."""
    struck_off: dt.date | None


@dataclass(frozen=True)
class Update:
    """A parsed update set: per entity the numbers whose rows are deleted, and the rows inserted."""

    deleted: Mapping[str, frozenset[str]]
    enterprises: tuple[EnterpriseRecord, ...] = ()
    establishments: tuple[EstablishmentRecord, ...] = ()
    denominations: tuple[DenominationRecord, ...] = ()
    addresses: tuple[AddressRecord, ...] = ()

    def deleted_of(self, entity: str) -> frozenset[str]:
        return self.deleted.get(entity, frozenset())

    def stopped_enterprises(self) -> frozenset[str]:
        """Enterprises deleted and not inserted again, or inserted with status stopped."""
        active = {e.number for e in self.enterprises if e.status == ACTIVE}
        return (self.deleted_of("enterprise") - active) | {e.number for e in self.enterprises if e.status != ACTIVE}

    def stopped_establishments(self) -> frozenset[str]:
        """Establishments deleted and not inserted again (those of a stopped enterprise aside)."""
        return self.deleted_of("establishment") - {e.number for e in self.establishments}

    def names(self) -> dict[str, str]:
        """Per entity the name the counter shows: an establishment's commercial name before its legal one,
        an enterprise's legal name; Dutch first."""
        ranked: dict[str, tuple[tuple[int, int], str]] = {}
        for record in self.denominations:
            wanted = (COMMERCIAL_NAME, LEGAL_NAME) if _is_establishment(record.entity_number) else (LEGAL_NAME,)
            if record.kind not in wanted:
                continue
            language = _LANGUAGE_ORDER.index(record.language) if record.language in _LANGUAGE_ORDER else 9
            rank = (wanted.index(record.kind), language)
            if record.entity_number not in ranked or rank < ranked[record.entity_number][0]:
                ranked[record.entity_number] = (rank, record.text)
        return {number: text for number, (_rank, text) in ranked.items()}

    def establishment_addresses(self) -> dict[str, Address]:
        """Per establishment its current Belgian unit address (struck-off ones left out)."""
        return {a.entity_number: a.address for a in self.addresses
                if a.kind == ESTABLISHMENT_ADDRESS and a.address is not None and a.struck_off is None
                and _is_establishment(a.entity_number)}


def _is_establishment(number: str) -> bool:
    return number[0] not in "01"


# --- Update files: reading ---------------------------------------------------------------------

_R = TypeVar("_R")
_DATE = re.compile(r"[0-9]{2}-[0-9]{2}-[0-9]{4}")
_BELGIUM = ("", "België", "Belgique")


class _Cells:
    """One row of a file, read column by column; every fault names file, line and column."""

    def __init__(self, name: str, line: int, row: dict[str, str]) -> None:
        self._name, self._line, self._row = name, line, row

    def fault(self, column: str, rule: str) -> KboFileError:
        return KboFileError(f"{self._name}, line {self._line}, column {column}: {rule}")

    def text(self, column: str, *, required: bool = False) -> str:
        value = self._row[column].strip()
        if required and not value:
            raise self.fault(column, "a value is required")
        return value

    def number(self, column: str) -> str:
        value = self.text(column)
        check: Callable[[str], str] = identifiers.kbo_enterprise_number
        if column == "EstablishmentNumber" or (column == "EntityNumber" and value[:1] not in ("0", "1")):
            check = identifiers.kbo_establishment_number
        try:
            return check(value)
        except identifiers.InvalidIdentifier as error:
            raise self.fault(column, error.message) from None

    def optional_date(self, column: str) -> dt.date | None:
        return self.date(column) if self.text(column) else None

    def date(self, column: str) -> dt.date:
        value = self.text(column)
        try:
            if _DATE.fullmatch(value) is None:
                raise ValueError
            return dt.datetime.strptime(value, "%d-%m-%Y").date()
        except ValueError:
            raise self.fault(column, "a date is written dd-mm-yyyy and names a real day") from None

    def choice(self, column: str, allowed: tuple[str, ...]) -> str:
        value = self.text(column)
        if value not in allowed:
            raise self.fault(column, f"the value must be one of {', '.join(allowed)}")
        return value


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[_Cells]:
    line = 1
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, strict=True)
            header = next(reader, None)
            if header is None or tuple(h.strip() for h in header) != columns:
                raise KboFileError(f"{path.name}, line 1: the header must be {','.join(columns)}")
            for values in reader:
                line = reader.line_num
                if not values:
                    continue
                if len(values) != len(columns):
                    raise KboFileError(f"{path.name}, line {line}: {len(values)} columns, expected {len(columns)}")
                yield _Cells(path.name, line, dict(zip(columns, values, strict=True)))
    except UnicodeDecodeError:
        raise KboFileError(f"{path.name}, after line {line}: the file is not UTF-8") from None
    except csv.Error as error:
        raise KboFileError(f"{path.name}, after line {line}: not a valid CSV file ({error})") from None


def _enterprise(cells: _Cells) -> EnterpriseRecord:
    return EnterpriseRecord(cells.number("EnterpriseNumber"), cells.choice("Status", (ACTIVE, STOPPED)),
                            cells.date("StartDate"))


def _establishment(cells: _Cells) -> EstablishmentRecord:
    return EstablishmentRecord(cells.number("EstablishmentNumber"), cells.number("EnterpriseNumber"),
                               cells.date("StartDate"))


def _denomination(cells: _Cells) -> DenominationRecord:
    return DenominationRecord(cells.number("EntityNumber"), cells.text("Language"),
                              cells.text("TypeOfDenomination", required=True),
                              cells.text("Denomination", required=True))


def _address(cells: _Cells) -> AddressRecord:
    number, kind = cells.number("EntityNumber"), cells.text("TypeOfAddress", required=True)
    struck_off = cells.optional_date("DateStrikingOff")
    if cells.text("CountryNL") not in _BELGIUM:
        return AddressRecord(number, kind, None, struck_off)
    try:
        postcode = identifiers.belgian_postcode(cells.text("Zipcode"))
    except identifiers.InvalidIdentifier as error:
        raise cells.fault("Zipcode", error.message) from None
    address = Address(cells.text("StreetNL") or cells.text("StreetFR", required=True),
                      cells.text("HouseNumber"), cells.text("Box") or None, postcode,
                      cells.text("MunicipalityNL") or cells.text("MunicipalityFR", required=True))
    return AddressRecord(number, kind, address, struck_off)


def read_update(directory: Path) -> Update:
    """Parse the KBO update set in *directory*; raises :class:`KboFileError` for the first fault found."""
    deleted: dict[str, frozenset[str]] = {}

    def inserted(entity: str, record: Callable[[_Cells], _R]) -> tuple[_R, ...]:
        columns = HEADERS[entity]
        delete, insert = directory / f"{entity}_delete.csv", directory / f"{entity}_insert.csv"
        if not delete.exists() and not insert.exists():
            return ()
        if not (delete.exists() and insert.exists()):
            missing, present = (insert, delete) if delete.exists() else (delete, insert)
            raise KboFileError(f"{missing.name}: missing; an update holds both files of an entity "
                               f"({present.name} is there)")
        deleted[entity] = frozenset(cells.number(columns[0]) for cells in _rows(delete, columns[:1]))
        return tuple(record(cells) for cells in _rows(insert, columns))

    return Update(deleted, enterprises=inserted("enterprise", _enterprise),
                  establishments=inserted("establishment", _establishment),
                  denominations=inserted("denomination", _denomination), addresses=inserted("address", _address))


# --- Update files: writing ---------------------------------------------------------------------


def written_number(number: str) -> str:
    """A bare 10-digit number as KBO writes it: ``0123.456.749`` or ``2.147.812.701``."""
    if number[0] in "01":
        return f"{number[:4]}.{number[4:7]}.{number[7:]}"
    return f"{number[0]}.{number[1:4]}.{number[4:7]}.{number[7:]}"


def written_date(day: dt.date) -> str:
    return day.strftime("%d-%m-%Y")


@dataclass
class UpdateWriter:
    """Collects an update set's rows and writes its files (only those of the entities it touches)."""

    deletes: dict[str, list[tuple[str, ...]]] = field(default_factory=lambda: {e: [] for e in ENTITIES})
    inserts: dict[str, list[tuple[str, ...]]] = field(default_factory=lambda: {e: [] for e in ENTITIES})
    touched: set[str] = field(default_factory=set)

    def delete(self, entity: str, number: str) -> None:
        self.touched.add(entity)
        self.deletes[entity].append((written_number(number),))

    def enterprise(self, number: str, start_date: dt.date, *, status: str = ACTIVE) -> None:
        self._insert("enterprise", (written_number(number), status, "000", "2", "015", "", written_date(start_date)))

    def establishment(self, number: str, enterprise_number: str, start_date: dt.date) -> None:
        self._insert("establishment", (written_number(number), written_date(start_date),
                                       written_number(enterprise_number)))

    def denomination(self, number: str, text: str, *, kind: str = LEGAL_NAME, language: str = "2") -> None:
        self._insert("denomination", (written_number(number), language, kind, text))

    def address(self, number: str, address: Address, *, kind: str = ESTABLISHMENT_ADDRESS) -> None:
        self._insert("address", (written_number(number), kind, "", "", address.postcode, address.municipality,
                                 "", address.street, "", address.house_number, address.box or "", "", ""))

    def _insert(self, entity: str, row: tuple[str, ...]) -> None:
        self.touched.add(entity)
        self.inserts[entity].append(row)

    def write(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for entity in ENTITIES:
            if entity in self.touched:
                columns = HEADERS[entity]
                write_file(directory / f"{entity}_delete.csv", columns[:1], self.deletes[entity])
                write_file(directory / f"{entity}_insert.csv", columns, self.inserts[entity])


def write_file(path: Path, columns: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> None:
    """One KBO file: a header, every value double-quoted, UTF-8."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(columns)
        writer.writerows(rows)
