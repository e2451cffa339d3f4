"""The secure exchange core: envelope rules, WS-Addressing, WS-Security, journal and replay.

Everything here runs in WSGI middleware in front of the spyne services (:mod:`.pipeline`), so a
service only ever sees a message that passed transport and message security.
"""
