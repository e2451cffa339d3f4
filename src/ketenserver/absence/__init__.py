"""DUO Verzuimloket: absence reports, the municipalities behind the counter.

Built like the recognitions feature: the counter and the municipalities reach storage through
ports (``ports.py``, implemented by ``storage.py``), so that dependencies point one way
(service → domain ← storage) and only storage code imports SQLAlchemy.
"""

NAMESPACE = "urn:ketenserver:duo:verzuimloket:1"
"""The target namespace of ``xsd/duo-verzuimloket.xsd``."""

