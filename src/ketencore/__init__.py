"""ketencore: the Digikoppeling WUS core that the server and the clients share.

It knows no service: the security profiles an endpoint offers (Digikoppeling 2W-be and 2W-be-S,
MAGDA: :mod:`~ketencore.profiles`), the SOAP 1.1 envelope and WS-Addressing rules (:mod:`~ketencore.envelope`),
WS-Security signing and the one verification recipe (:mod:`~ketencore.wsse`,
:func:`~ketencore.verify.verify_message`), trust and CRLs (:mod:`~ketencore.trust`,
:mod:`~ketencore.crls`), hardened parsing (:mod:`~ketencore.xmlparse`), contract files and
schema validation (:mod:`~ketencore.contracts`, :mod:`~ketencore.validation`), the errors and the
core fault codes (:mod:`~ketencore.errors`, :mod:`~ketencore.faults`) and every namespace URI
(:mod:`~ketencore.names`). Importing it has no side effects.

    ketenserver ─┐
                 ├──> ketencore   (never the other way round)
    ketenclient ─┘
"""
