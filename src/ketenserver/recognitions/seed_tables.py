"""The tables a generated SBB population is drawn from: real places and postcodes, names, sectors.

Dutch places with their real 4-digit postcode ranges and area codes, places in Belgium and
Germany, family and first names, streets, the sectors with their words and qualifications, and
the texts of placement places. Changing any of them changes the companies of every seed number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

WITHDRAWAL_REASONS = ("veiligheid niet op orde", "geen begeleiding meer", "bedrijf gestopt")

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
