"""DUO Verzuimloket: absence reports, the municipalities behind the counter."""

NAMESPACE = "urn:ketenserver:duo:verzuimloket:1"
"""The target namespace of ``xsd/duo-verzuimloket.xsd``."""

