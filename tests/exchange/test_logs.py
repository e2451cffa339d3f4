"""Structured logs: one JSON object per line with the request id, and personal data masked."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest

from ketenserver.logs import (
    JsonFormatter,
    TextFormatter,
    configure_logging,
    current_request_id,
    is_bsn,
    is_national_number,
    make_handler,
    mask,
    request_scope,
)

BSN = "111222333"  # passes the 11-check
NATIONAL_NUMBER = "85.07.30-033.28"  # born 1985: 97 - 850730033 % 97 == 28


@pytest.mark.parametrize(("digits", "valid"), [
    ("111222333", True), ("123456782", True), ("123456789", False), ("000000000", False), ("12345678", False),
])
def test_bsn_eleven_check(digits, valid):
    assert is_bsn(digits) is valid


def test_national_number_check_both_centuries():
    assert is_national_number("85073003328")
    assert not is_national_number("85073003329")
    born_2001 = f"010203004{97 - 2_010_203_004 % 97:02d}"  # from 2000 the check covers a leading 2
    assert is_national_number(born_2001) and mask(born_2001) == "[national-number]"


@pytest.mark.parametrize("text", [
    f"student {BSN} not found",
    f"rijksregisternummer {NATIONAL_NUMBER}",
    f"rijksregisternummer {NATIONAL_NUMBER.replace('.', '').replace('-', '')}",
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC",  # cut off
    "b'<soapenv:Envelope xmlns:soapenv=\"x\"><soapenv:Body><Naam>Jan Jansen</Naam></soapenv:Body>'",
    "<Naam>Jan Jansen</Naam>",
    "token " + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODk=" * 2,
])
def test_mask_removes_numbers_keys_and_bodies(text):
    masked = mask(text)
    for secret in (BSN, NATIONAL_NUMBER, "85073003328", "PRIVATE KEY", "MIIEvQ", "Jan Jansen", "QUJDREVG"):
        assert secret not in masked


def test_base64_wrapped_at_64_columns_is_masked_with_its_last_line():
    blob = "\n".join(["A" * 64] * 3 + ["QUJD+/8="])
    assert mask(f"signature {blob} done") == f"signature [base64 {len(blob)} chars] done"


@pytest.mark.parametrize("text", [
    "0000000700025LX00000 00000099000000000001",  # OINs are not personal data
    "123456789 failed the 11-check",
    "message urn:uuid:4f1c2d3e-0000-4000-8000-000000000001 took 12.5 ms",
    'File "pipeline.py", line 3, in <module>\n  File "x.py", line 9, in <lambda>',
    "request 0123456789abcdef0123456789abcdef",  # a request id
    "fault 0112: wsa:To is not signed",
])
def test_mask_leaves_ordinary_text_alone(text):
    assert mask(text) == text


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("ketenserver.test", logging.WARNING, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_json_line_has_the_fields_and_masks_message_and_extras():
    with request_scope("ab" * 16):
        line = JsonFormatter().format(_record("lookup of %s", BSN, operation="Vaststellen", naam=f"x {BSN}",
                                              duration_ms=1.5))
    entry = json.loads(line)
    assert "\n" not in line
    assert {"time", "level", "logger", "process", "message", "request_id"} <= set(entry)
    assert entry["level"] == "WARNING" and entry["logger"] == "ketenserver.test"
    assert entry["request_id"] == "ab" * 16
    assert entry["message"] == "lookup of [bsn]" and entry["naam"] == "x [bsn]"
    assert entry["operation"] == "Vaststellen" and entry["duration_ms"] == 1.5
    assert entry["time"].endswith("+00:00")


def test_no_request_id_outside_a_request():
    assert current_request_id() is None
    assert "request_id" not in json.loads(JsonFormatter().format(_record("idle")))


def test_exception_text_is_masked_and_kept_on_one_line():
    try:
        raise ValueError(f"bad value <Naam>{BSN}</Naam>")
    except ValueError:
        record = logging.LogRecord("k", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "ValueError" in entry["exception"] and BSN not in line and "Naam" not in line
    assert "\n" not in line


def test_text_format_masks_and_shows_the_request_id():
    with request_scope("cd" * 16):
        line = TextFormatter().format(_record("student %s", BSN, outcome="refused"))
    assert f"[{'cd' * 16}]" in line and "student [bsn]" in line and "outcome=refused" in line
    assert BSN not in line


def test_handler_stamps_the_request_id_in_the_logging_thread():
    stream = io.StringIO()
    logger = logging.getLogger("ketenserver.test.handler")
    handler = make_handler("json", stream)
    logger.addHandler(handler)
    logger.propagate, logger.level = False, logging.INFO
    try:
        with request_scope("ef" * 16):
            logger.info("inside")
        logger.info("outside")
    finally:
        logger.removeHandler(handler)
        logger.propagate, logger.level = True, logging.NOTSET
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["request_id"] == "ef" * 16 and "request_id" not in outside


def test_configure_logging_replaces_the_root_handlers_and_refuses_unknown_formats():
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    stream = io.StringIO()
    try:
        configure_logging("text", "INFO", stream=stream)
        logging.getLogger("ketenserver.test.configure").info("BSN %s", BSN)
        assert root.handlers and all(h.stream is stream for h in root.handlers)
    finally:
        root.handlers[:] = saved
        root.setLevel(level)
    assert "BSN [bsn]" in stream.getvalue()
    with pytest.raises(ValueError, match="log_format"):
        configure_logging("xml")
