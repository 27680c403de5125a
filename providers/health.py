"""Provider health: whether a provider may be sent new orders now (orders.routing asks).

The circuit breaker, error-rate window and alerts are built on this module (issue 21)."""


def provider_circuit_allows(code: str) -> bool:
    """False while `code`'s circuit is open: routing sends it no new order."""
    return True
