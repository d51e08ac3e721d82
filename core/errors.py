"""Domain exceptions: each carries a message key and parameters, translated at the edge."""


class DomainError(Exception):
    """Base of every failure a user can be told about."""

    key = "error.invalid"

    def __init__(self, key=None, **params):
        self.key = key or self.key
        self.params = params
        super().__init__(self.key, params)


class RuleViolation(DomainError):
    """A value breaks a rule (raised by pure functions)."""


class InvalidInput(DomainError):
    """Input that cannot be accepted; `errors` lists each fault."""

    def __init__(self, errors, key="error.invalid"):
        self.errors = errors
        super().__init__(key)


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know it exists."""

    key = "error.not_found"


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    key = "error.forbidden"


class Unauthorised(DomainError):
    """The caller is not signed in."""

    key = "error.unauthorised"


class Conflict(DomainError):
    """The action clashes with the current state."""

    key = "error.invalid"


class Unavailable(DomainError):
    """The work could not be finished now; what was received is kept and finished later."""

    key = "error.unavailable"


def field_error(field, key, **params):
    """An InvalidInput naming one field and its fault."""
    return InvalidInput([{"field": field, "key": key, "params": params}])
