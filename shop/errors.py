"""The one domain error: services raise it, views and commands turn it into a clear reply."""


class ApplicationError(Exception):
    """A rule of the shop refused an action; `message` is safe to show to the person asking.

    `code` is a stable machine-readable name (e.g. ``insufficient_balance``) and `extra`
    carries structured details (the balance, the fields at fault).
    """

    def __init__(self, message: str, *, code: str = "invalid", extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra or {}

    def __str__(self) -> str:
        return self.message
