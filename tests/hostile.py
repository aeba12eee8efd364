"""Files a hostile pull request carries, shared by the tests that use them."""

from __future__ import annotations

# libcst's native parser overflows its stack on this (SIGSEGV), CPython's
# parser refuses it ("too many nested parentheses").
NESTED_PARENS = "X = " + "(" * 1500 + "1" + ")" * 1500 + "\n"
# libcst parses a long flat chain in quadratic time: 5,000 terms take about
# 5 s on one core, 8,000 crash it.
LONG_CHAIN = "X = " + "+".join(["1"] * 5000) + "\n"
CRASHING_CHAIN = "X = " + "+".join(["1"] * 8000) + "\n"
# A bare ``except:`` (ruff E722) padded past the convention engine's 2 MiB
# with long comment lines (the formatter takes seconds per 10,000 lines).
PADDED_BARE_EXCEPT = (
    "def f() -> None:\n"
    "    try:\n"
    "        pass\n"
    "    except:\n"
    "        pass\n" + ("# " + "x" * 80_000 + "\n") * 30
)
