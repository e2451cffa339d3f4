"""Progress of a long seed: the seed's callback, the bar or lines the sandbox shows."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ketenserver import sandbox
from ketenserver.db import Base, make_engine, make_session_factory
from ketenserver.recognitions import seed
from ketenserver.recognitions.feature import FEATURE as RECOGNITIONS


def test_progress_is_reported_per_batch_up_to_the_total(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seed, "BATCH", 100)
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    calls: list[tuple[int, int]] = []
    with make_session_factory(engine).begin() as session:
        seed.seed(session, 0, companies=450, progress=lambda done, total: calls.append((done, total)))
    engine.dispose()
    assert calls == [(100, 450), (200, 450), (300, 450), (400, 450), (450, 450)]


def test_a_seed_below_the_demo_companies_reports_them() -> None:
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    calls: list[tuple[int, int]] = []
    with make_session_factory(engine).begin() as session:
        assert seed.seed(session, 0, companies=2, progress=lambda done, total: calls.append((done, total))) == 5
    engine.dispose()
    assert calls == [(5, 5)]


def test_on_a_terminal_one_line_is_redrawn_and_ended() -> None:
    stream, said = io.StringIO(), []
    line = sandbox.ProgressLine("sbb", said.append, stream=stream)
    for done in range(25_000, 250_001, 25_000):
        line(done, 250_000)
    text = stream.getvalue()
    assert said == []
    assert text.count("\r") == 10 and text.endswith("100%  250,000 of 250,000\n") and text.count("\n") == 1
    assert "\r  sbb: [###############...............]  50%  125,000 of 250,000\r" in text


def test_elsewhere_a_plain_line_per_tenth() -> None:
    said: list[str] = []
    line = sandbox.ProgressLine("sbb", said.append)
    for done in range(5_000, 250_001, 5_000):
        line(done, 250_000)
    assert len(said) == 11  # the first batch, then each tenth
    assert said[0].endswith("  2%  5,000 of 250,000") and said[-1].endswith("100%  250,000 of 250,000")
    assert all("\r" not in text for text in said)


def test_short_seeds_show_nothing() -> None:
    stream, said = io.StringIO(), []
    line = sandbox.ProgressLine("sbb", said.append, stream=stream)
    line(sandbox.PROGRESS_FROM - 1, sandbox.PROGRESS_FROM - 1)
    assert said == [] and stream.getvalue() == ""


def test_prepare_database_shows_the_progress_of_the_seed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(seed, "BATCH", 100)
    monkeypatch.setattr(sandbox, "PROGRESS_FROM", 300)
    engine = make_engine(f"sqlite:///{tmp_path / 'sandbox.sqlite3'}")
    said: list[str] = []
    sandbox.prepare_database(engine, companies=300, say=said.append, features=(RECOGNITIONS,))
    engine.dispose()
    assert said == [
        "  sbb-erkenningen: [##########....................]  33%  100 of 300",
        "  sbb-erkenningen: [####################..........]  66%  200 of 300",
        "  sbb-erkenningen: [##############################] 100%  300 of 300",
        "  sbb-erkenningen: 300 demo records",
    ]
