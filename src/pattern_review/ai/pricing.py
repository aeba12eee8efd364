"""Per-model prices, for the estimated cost shown in the comment footer.

Prices are USD per million tokens from Anthropic's published price list
(standard tier, 5-minute cache writes). A model missing here costs 0.0 and the
footer says the cost is unknown; tokens are still reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Price:
    """What one million tokens of each kind cost.

    Attributes:
        input: Uncached input tokens.
        output: Output tokens.
        cache_write: Input tokens written to the (5-minute) prompt cache.
        cache_read: Input tokens read from the prompt cache.
    """

    input: float
    output: float
    cache_write: float
    cache_read: float


@dataclass(frozen=True)
class Usage:
    """Tokens billed for one or more requests.

    Attributes:
        input_tokens: Uncached input tokens.
        output_tokens: Output tokens.
        cache_read_tokens: Input tokens read from the prompt cache.
        cache_write_tokens: Input tokens written to the prompt cache.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        """Sum two usages (a retry's repair request adds to the first)."""
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
        )


_SONNET_4 = Price(3.0, 15.0, 3.75, 0.30)
_OPUS_4_5 = Price(5.0, 25.0, 6.25, 0.50)
_OPUS_4 = Price(15.0, 75.0, 18.75, 1.50)
_FABLE_5 = Price(10.0, 50.0, 12.50, 1.00)

# Model alias (no date suffix) -> price. Haiku 5.5 is listed at its price for
# prompts up to 100k tokens, which covers any request within the AI budget's
# usual range.
PRICES: dict[str, Price] = {
    "claude-fable-5-2": Price(10.0, 50.0, 12.50, 0.25),
    "claude-mythos-5-2": Price(10.0, 50.0, 12.50, 0.25),
    "claude-fable-5-1": Price(10.0, 50.0, 12.50, 0.25),
    "claude-mythos-5-1": Price(10.0, 50.0, 12.50, 0.25),
    "claude-fable-5": _FABLE_5,
    "claude-mythos-5": _FABLE_5,
    "claude-opus-5-5": Price(4.0, 20.0, 5.0, 0.20),
    "claude-opus-5": _OPUS_4_5,
    "claude-opus-4-8": _OPUS_4_5,
    "claude-opus-4-7": _OPUS_4_5,
    "claude-opus-4-6": _OPUS_4_5,
    "claude-opus-4-5": _OPUS_4_5,
    "claude-opus-4-1": _OPUS_4,
    "claude-opus-4-0": _OPUS_4,
    "claude-opus-4": _OPUS_4,
    "claude-sonnet-5-5": Price(2.0, 10.0, 2.50, 0.20),
    "claude-sonnet-5": Price(2.0, 10.0, 2.50, 0.20),
    "claude-sonnet-4-6": _SONNET_4,
    "claude-sonnet-4-5": _SONNET_4,
    "claude-sonnet-4-0": _SONNET_4,
    "claude-sonnet-4": _SONNET_4,
    "claude-haiku-5-5": Price(0.10, 0.50, 0.125, 0.01),
    "claude-haiku-4-5": Price(1.0, 5.0, 1.25, 0.10),
    "claude-3-5-haiku": Price(0.80, 4.0, 1.0, 0.08),
    "claude-3-haiku": Price(0.25, 1.25, 0.30, 0.03),
}

_DATE_SUFFIX = re.compile(r"-\d{8}$")


def price_for(model: str) -> Price | None:
    """Return the price of a model, ignoring a date suffix and ``-latest``.

    Args:
        model: A model id such as ``claude-sonnet-4-5-20250929``.

    Returns:
        The price, or None for a model not in the table.
    """
    alias = _DATE_SUFFIX.sub("", model.strip().lower()).removesuffix("-latest")
    alias = alias.removesuffix("[1m]")
    return PRICES.get(alias)


def estimate_cost(model: str, usage: Usage) -> float | None:
    """Return the estimated cost of a usage in USD.

    Args:
        model: The model that was asked.
        usage: Tokens billed.

    Returns:
        The cost, or None when the model's
        price is unknown.
    """
    price = price_for(model)
    if price is None:
        return None
    total = (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_write_tokens * price.cache_write
        + usage.cache_read_tokens * price.cache_read
    ) / 1_000_000
    return total
