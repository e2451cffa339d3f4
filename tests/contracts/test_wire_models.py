"""The wire models derived from the published XSD (:mod:`ketenserver.wiremodels`): what the
schema comparison in ``test_feature_contracts.py`` cannot show, the value checks spyne makes."""

from __future__ import annotations

import pytest

from ketenserver.absence import wire as absence_wire
from ketenserver.recognitions import wire as recognitions_wire


def test_numeric_ranges_of_the_xsd_hold_for_the_type_and_every_member_of_it() -> None:
    models = recognitions_wire.models()
    member = models.Erkenning._type_info["Niveau"]  # xs:int, minInclusive 1, maxInclusive 4
    for niveau in (models.Niveau, member):
        assert [niveau.validate_native(niveau, n) for n in (0, 1, 4, 5)] == [False, True, True, False]
    lesuur = absence_wire.models().Verzuimdag._type_info["Lesuur"]  # 1..12, up to 12 times
    assert (lesuur.Attributes.ge, lesuur.Attributes.le, lesuur.Attributes.max_occurs) == (1, 12, 12)


def test_a_type_is_found_by_its_xsd_name_in_the_contract_or_common_xsd() -> None:
    models = absence_wire.models()
    assert models.Woonadres.get_namespace() == absence_wire.TNS
    assert models.Bsn.get_type_name() == "Bsn"  # from common.xsd
    with pytest.raises(AttributeError, match="Erkenning"):
        _ = models.Erkenning
