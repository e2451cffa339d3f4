"""SBB White Label 2.1 – erkenningen: the recognitions exchange between a school and SBB/Stagemarkt.

Roles: ``wire`` (spyne models of ``xsd/sbb-erkenningen.xsd``), ``service`` (the spyne service,
thin), ``domain`` (the rules, typed, no spyne or SQL), ``storage`` (``sbb_*`` tables and
queries), ``errors`` (fault codes SBB-1xxx), ``seed`` (demo data), ``feature`` (what the server
mounts at ``/sbb-erkenningen/<profile>``).
"""

NAMESPACE = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1"
"""The target namespace of ``xsd/sbb-erkenningen.xsd``."""

