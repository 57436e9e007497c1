"""Domain errors. Each message is written for the person who will read it
(a clerk, a trustee, a deputy); the web layer maps the class to an HTTP
status and shows the message as it is."""


class DomainError(Exception):
    """Base class: the request was understood and refused."""


class NotFound(DomainError):
    """No such election, round, deputy or project."""


class Conflict(DomainError):
    """The action is not allowed in the current state (a closed round, a finished ceremony)."""


class InvalidInput(DomainError):
    """Input from outside that is malformed or breaks a rule; nothing was changed."""


class Forbidden(DomainError):
    """The account may not see or do this (another department's project, say)."""


class CastRefused(InvalidInput):
    """A ballot that was not put on the board; the credential is still unspent."""


class AlreadyCast(CastRefused):
    """The credential has already cast another ballot: this one was not put on the board."""


class ImportErrors(InvalidInput):
    """A file with bad rows: every error, with its row number, and nothing imported."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors[:20]) + (" …" if len(errors) > 20 else ""))
        self.errors = errors
