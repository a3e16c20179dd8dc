"""Unit conversion by ``pint``: lengths, weights, volumes, temperatures, speeds, areas, times, data sizes.

Its registry takes about 0.3 s to build, so it is built when the tools are warmed (at model load), not on the
first question.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

from assistant.contracts.tools import Tool, ToolCall, ToolContext, ToolError, ToolResult
from assistant.tools.intents import Heard

_NUMBER = r"(?P<n>-?\d+(?:\.\d+)?(?:\s+and\s+a\s+half)?|an?|one|half an?|a half)"
_UNIT = r"[a-z][a-z .'/²³-]*?"
_PREFIX = (r"^(?:hey |ok |okay )?(?:(?:can|could) you )?(?:please )?(?:tell me )?"
           r"(?:what(?:'s| is| are)\s+|how much is\s+|how much are\s+|how far is\s+|how long is\s+|how heavy is\s+)?")
_CONVERT = re.compile(_PREFIX + rf"(?:convert\s+)?{_NUMBER}\s+(?P<src>{_UNIT})\s+(?:to|in|into|in to|as)\s+"
                      rf"(?P<dst>{_UNIT})(?: please)?$")
_HOW_MANY = re.compile(r"^(?:hey |ok |okay )?(?:(?:can|could) you tell me )?(?:please )?"
                       rf"how many\s+(?P<dst>{_UNIT})(?:\s+of\s+[a-z]+)?"
                       r"\s+(?:(?:are|is)\s+(?:there\s+)?in|(?:are|is|make|in)|equals?)"
                       rf"\s+{_NUMBER}?\s*(?P<src>{_UNIT})(?: please)?$")
# What people say that pint does not read as meant.
_NAMES = {
    "celsius": "degC", "centigrade": "degC", "degrees celsius": "degC", "degree celsius": "degC",
    "degrees centigrade": "degC", "c": "degC", "degrees c": "degC",
    "fahrenheit": "degF", "degrees fahrenheit": "degF", "degree fahrenheit": "degF", "f": "degF", "degrees f": "degF",
    "kelvin": "kelvin", "kelvins": "kelvin", "mph": "mile/hour", "miles per hour": "mile/hour",
    "miles an hour": "mile/hour", "kph": "kilometer/hour", "km/h": "kilometer/hour", "kmh": "kilometer/hour",
    "kilometers per hour": "kilometer/hour", "kilometres per hour": "kilometer/hour",
    "kilometers an hour": "kilometer/hour", "kilometres an hour": "kilometer/hour",
    "meters per second": "meter/second", "metres per second": "meter/second", "knots": "knot",
    "fluid ounces": "fluid_ounce", "fluid ounce": "fluid_ounce", "fl oz": "fluid_ounce",
    "ounces": "ounce", "ounce": "ounce", "oz": "ounce", "pounds": "pound", "pound": "pound", "lbs": "pound",
    "lb": "pound", "stones": "stone", "stone": "stone", "tons": "metric_ton", "ton": "metric_ton",
    "tonnes": "metric_ton", "tonne": "metric_ton", "gallons": "gallon", "gallon": "gallon",
    "imperial gallons": "imperial_gallon", "pints": "pint", "pint": "pint", "cups": "cup", "cup": "cup",
    "tablespoons": "tablespoon", "teaspoons": "teaspoon", "tbsp": "tablespoon", "tsp": "teaspoon",
    "square feet": "foot**2", "square foot": "foot**2", "square meters": "meter**2", "square metres": "meter**2",
    "square kilometers": "kilometer**2", "square kilometres": "kilometer**2", "square miles": "mile**2",
    "square mile": "mile**2", "acres": "acre", "hectares": "hectare", "feet": "foot", "foot": "foot",
    "inches": "inch", "inch": "inch", "yards": "yard", "miles": "mile", "mile": "mile",
    "gigabytes": "gigabyte", "megabytes": "megabyte", "terabytes": "terabyte", "kilobytes": "kilobyte",
    "gb": "gigabyte", "mb": "megabyte", "tb": "terabyte", "kb": "kilobyte", "liters": "liter", "litres": "liter",
    "millilitres": "milliliter", "kilometres": "kilometer", "metres": "meter", "centimetres": "centimeter",
    "millimetres": "millimeter", "calories": "kilocalorie", "kcal": "kilocalorie", "horsepower": "horsepower",
    "light years": "light_year", "light year": "light_year",
}
_SPOKEN = {"degree_Celsius": "degrees Celsius", "degree_Fahrenheit": "degrees Fahrenheit", "kelvin": "kelvin",
           "mile / hour": "miles per hour", "kilometer / hour": "kilometers per hour",
           "meter / second": "meters per second", "metric_ton": "tonnes", "fluid_ounce": "fluid ounces",
           "foot ** 2": "square feet", "meter ** 2": "square meters", "kilometer ** 2": "square kilometers",
           "mile ** 2": "square miles", "light_year": "light years", "imperial_gallon": "imperial gallons",
           "kilocalorie": "calorie"}
_SINGULAR = {"degrees Celsius": "degree Celsius", "degrees Fahrenheit": "degree Fahrenheit", "tonnes": "tonne",
             "fluid ounces": "fluid ounce", "square feet": "square foot", "square meters": "square meter",
             "square kilometers": "square kilometer", "square miles": "square mile", "light years": "light year",
             "imperial gallons": "imperial gallon", "miles per hour": "mile per hour",
             "kilometers per hour": "kilometer per hour", "meters per second": "meter per second"}
_PLURAL = {"inch": "inches", "foot": "feet", "calorie": "calories"}


class Units:
    """The unit conversion family (one pint registry, built once)."""

    def __init__(self) -> None:
        self._registry = None
        self._lock = threading.Lock()

    def warm(self) -> None:
        """Build the registry now (about 0.3 s), off the turn's path."""
        self._units()

    def _units(self):
        with self._lock:
            if self._registry is None:
                import pint

                self._registry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
            return self._registry

    def _unit(self, name: str):
        import pint

        spoken = re.sub(r"\s+", " ", name.strip(" .?").removeprefix("the ").removeprefix("a ").removeprefix("an "))
        # "US gallon": pint's gallon, pint, quart, cup and fluid ounce are the US ones; "UK pint": the imperial one
        spoken = re.sub(r"^(?:u\.?s\.?|american) ", "", spoken, flags=re.IGNORECASE)
        spoken = re.sub(r"^(?:u\.?k\.?|british|imperial) ", "imperial ", spoken, flags=re.IGNORECASE)
        key = _NAMES.get(spoken, spoken).replace(" ", "_")
        try:
            return self._units().parse_units(key)
        except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, ValueError, TypeError,
                AttributeError, AssertionError):
            try:  # a plural pint does not know as such ("metres", "stones")
                return self._units().parse_units(key.removesuffix("s") if key.endswith("s") else key)
            except Exception:  # pint raises several types for a name it cannot read
                raise ToolError("unit-unknown", f"I don't know the unit {name.strip()!r}.") from None

    def convert(self, arguments: Mapping[str, Any], context: ToolContext | None = None) -> ToolResult:
        import pint

        from assistant.tools.maths import spoken_number

        value = float(arguments["value"])
        src, dst = self._unit(str(arguments["from_unit"])), self._unit(str(arguments["to_unit"]))
        try:
            result = self._units().Quantity(value, src).to(dst)
        except pint.errors.DimensionalityError:
            raise ToolError("unit-mismatch", f"{arguments['from_unit']} and {arguments['to_unit']} measure different "
                            "things, so one cannot be converted into the other.") from None
        amount = float(result.magnitude)
        shown = spoken_number(round(amount, 2) if abs(amount) >= 1 else float(f"{amount:.3g}"))
        said = (f"{spoken_number(value)} {self._said(src, value)} is {shown} {self._said(dst, amount)}.")
        return ToolResult(said, {"value": amount, "unit": str(dst)})

    @staticmethod
    def _said(unit, amount: float) -> str:
        """A unit's spoken name for ``amount`` of it: "1 mile", "2 miles", "1 foot", "3 degrees Celsius"."""
        name = _SPOKEN.get(str(unit), str(unit).replace("_", " "))
        if abs(amount) == 1:
            return _SINGULAR.get(name, name)
        return _PLURAL.get(name, name if name.endswith(("s", "kelvin", "hertz")) or " " in name else name + "s")

    def tools(self) -> list[Tool]:
        return [Tool("units.convert", "Convert a quantity from one unit to another (length, weight, volume, "
                     "temperature, speed, area, data).",
                     {"type": "object", "properties": {"value": {"type": "number"},
                                                       "from_unit": {"type": "string", "minLength": 1},
                                                       "to_unit": {"type": "string", "minLength": 1}},
                      "required": ["value", "from_unit", "to_unit"], "additionalProperties": False},
                     self.convert, family="units",
                     keywords=("convert", "conversion", "miles", "kilometers", "kilometres", "pounds", "kilograms",
                               "celsius", "fahrenheit", "feet", "inches", "meters", "metres", "ounces", "grams",
                               "liters", "litres", "gallons", "cups", "units"))]

    def matchers(self) -> list[Callable[[Heard], ToolCall | None]]:
        return [self._match]

    def _match(self, heard: Heard) -> ToolCall | None:
        found = _CONVERT.match(heard.norm) or _HOW_MANY.match(heard.norm)
        if found is None:
            return None
        src, dst = found.group("src").strip(), found.group("dst").strip()
        known = self._known(src) + self._known(dst)
        if known == 0:
            return None  # "what is 5 apples in a basket": not a conversion at all
        if known == 1 and "convert" not in heard.norm.split():
            return None  # "what's three quarters as a percentage?": a question the model answers, not a conversion
        return ToolCall("units.convert", {"value": _amount(found.group("n")), "from_unit": src, "to_unit": dst})

    def _known(self, name: str) -> bool:
        try:
            self._unit(name)
            return True
        except ToolError:
            return False


def _amount(said: str | None) -> float:
    if not said or said in ("a", "an", "one"):
        return 1.0
    if said.startswith("half") or said == "a half":
        return 0.5
    if said.endswith("and a half"):
        return float(said.split()[0]) + 0.5
    return float(said)
