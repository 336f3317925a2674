from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archfit.errors import InvalidValue
from archfit.model.quantity import Quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Decimal("0.5")),
        ("2", Decimal(2)),
        ("1.5", Decimal("1.5")),
        ("1Ki", Decimal(1024)),
        ("1Gi", Decimal(2**30)),
        ("1G", Decimal(10**9)),
        ("1e3", Decimal(1000)),
        ("1E-3", Decimal("0.001")),
        ("100n", Decimal("1e-7")),
        ("0.5Mi", Decimal(2**19)),
        (".5", Decimal("0.5")),
        (3, Decimal(3)),
    ],
)
def test_parse(text: str | int, value: Decimal) -> None:
    assert Quantity.parse(text).value == value


@pytest.mark.parametrize("text", ["", "1.2.3", "1Gb", "abc", "1 Gi", "--1", "1ki"])
def test_rejects(text: str) -> None:
    with pytest.raises(InvalidValue, match="invalid quantity"):
        Quantity.parse(text)


def test_rounding_matches_apimachinery() -> None:
    # MilliValue and Value round up.
    assert Quantity.parse("1n").milli() == 1
    assert Quantity.parse("1500u").milli() == 2
    assert Quantity.parse("0.1").integer() == 1
    assert Quantity.parse("3500m").format_cpu() == "3500m"
    assert Quantity.parse("6Gi").format_bytes() == "6Gi"


@given(
    st.integers(min_value=0, max_value=10**9),
    st.sampled_from(["", "m", "k", "Ki", "Mi", "Gi", "M", "G"]),
)
def test_suffix_scales_exactly(number: int, suffix: str) -> None:
    scales: dict[str, int | Decimal] = {
        "": 1,
        "m": Decimal("0.001"),
        "k": 1000,
        "Ki": 1024,
        "Mi": 2**20,
        "Gi": 2**30,
        "M": 10**6,
        "G": 10**9,
    }
    scale = scales[suffix]
    assert Quantity.parse(f"{number}{suffix}").value == number * scale
