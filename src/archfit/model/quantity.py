"""Kubernetes resource quantities on `Decimal`.

The grammar is apimachinery's (`resource.ParseQuantity`): a signed decimal number followed by a
binary-SI suffix (`Ki Mi Gi Ti Pi Ei`), a decimal-SI suffix (`n u m "" k M G T P E`) or a decimal
exponent (`e3`, `E-2`). Values are exact; the scheduler's integer views round up, as
`Quantity.Value()` and `Quantity.MilliValue()` do.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from archfit.errors import InvalidValue

__all__ = ["Quantity"]

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
_QUANTITY = re.compile(
    r"^(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?:(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|(?P<exp>[eE][+-]?\d+))?$"
)


@dataclass(frozen=True, order=True, slots=True)
class Quantity:
    """An exact quantity in base units (cores for cpu, bytes for memory)."""

    value: Decimal

    @classmethod
    def parse(cls, text: str | int | float) -> Quantity:
        """Parse a quantity as written in a manifest (`500m`, `1Gi`, `2`, `1.5`, `1e3`)."""
        if isinstance(text, bool):
            raise InvalidValue(
                f"invalid quantity {text!r}; expected a number or a string like 500m"
            )
        if isinstance(text, int):
            return cls(Decimal(text))
        if isinstance(text, float):
            return cls(Decimal(repr(text)))
        if not isinstance(text, str):  # null, a list or a mapping where a quantity belongs
            raise InvalidValue(
                f"invalid quantity {text!r}; expected a number or a string like 500m"
            )
        if cls is Quantity:
            # Manifests repeat a handful of quantities (100m, 128Mi); values are immutable.
            return _parse_text(text)
        return cls._parse_text(text)

    @classmethod
    def _parse_text(cls, text: str) -> Quantity:
        match = _QUANTITY.match(text.strip())
        if match is None:
            raise InvalidValue(
                f"invalid quantity {text!r}; expected a number with an optional suffix "
                "such as 500m, 2, 1.5Gi or 128974848"
            )
        try:
            number = Decimal(match["num"])
        except InvalidOperation as err:  # pragma: no cover - the regex admits only decimals
            raise InvalidValue(f"invalid quantity {text!r}") from err
        if match["exp"]:
            return cls(number.scaleb(int(match["exp"][1:])))
        suffix = match["suffix"] or ""
        if suffix in _BINARY:
            return cls(number * _BINARY[suffix])
        return cls(number * _DECIMAL[suffix])

    @classmethod
    def zero(cls) -> Quantity:
        return cls(Decimal(0))

    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(self.value + other.value)

    def __sub__(self, other: Quantity) -> Quantity:
        return Quantity(self.value - other.value)

    def milli(self) -> int:
        """The value in thousandths, rounded up (apimachinery's `MilliValue`)."""
        return int((self.value * 1000).to_integral_value(rounding=ROUND_CEILING))

    def integer(self) -> int:
        """The value rounded up to a whole unit (apimachinery's `Value`)."""
        return int(self.value.to_integral_value(rounding=ROUND_CEILING))

    def format_cpu(self) -> str:
        """Cores as a person writes them: `3`, `3500m`."""
        milli = self.milli()
        return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"

    def format_bytes(self) -> str:
        """Bytes in the largest binary suffix that keeps one decimal: `6Gi`, `1.5Gi`, `512Mi`."""
        amount = self.value
        for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
            unit = _BINARY[suffix]
            if abs(amount) >= unit:
                scaled = amount / unit
                text = f"{scaled:.1f}".rstrip("0").rstrip(".")
                return f"{text}{suffix}"
        return str(self.integer())

    def __str__(self) -> str:
        return format(self.value.normalize(), "f")


@functools.lru_cache(maxsize=4096)
def _parse_text(text: str) -> Quantity:
    return Quantity._parse_text(text)
