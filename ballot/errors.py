"""Domain errors, and the translatable messages they carry.

Each refusal is written for the person who will read it (a clerk, a trustee, a
deputy) in whatever language that person reads. So an error does not carry a
finished sentence: it carries a :class:`Message`, an English message id with
``%(name)s`` placeholders and the values to put in them. ``str(error)`` is the
English sentence (logs, tests, an English CLI); :func:`localize` renders it
through a catalog, which the web shell does with the page's language and the
CLI with the terminal's. The message ids are extracted into the catalog by
``make translations`` (each error class is a keyword there), so a refusal that
is not translated is caught by the catalog test, not by a deputy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from crypto import errors as crypto_errors

Translate = Callable[[str], str]


def untranslated(message_id: str) -> str:
    """The English catalog: a message id is its own English text."""
    return message_id


class Message:
    """A sentence to show a person: a message id and the values of its placeholders.

    A value may itself be a :class:`Message` (a field's name, say), a
    :class:`DomainError` or a protocol error; those are rendered in the same
    language as the sentence around them. Anything else is data and is shown as
    it is.
    """

    __slots__ = ("message_id", "params")

    def __init__(self, message_id: str, /, **params: Any) -> None:
        self.message_id = message_id
        self.params = params

    def render(self, translate: Translate = untranslated) -> str:
        text = translate(self.message_id)
        if not self.params:
            return text.replace("%%", "%")
        values = {name: _render_value(value, translate) for name, value in self.params.items()}
        try:
            return text % values
        except (KeyError, ValueError, TypeError):  # a broken translation: fall back to English
            return self.message_id % values

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Message({self.message_id!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Message) and other.message_id == self.message_id
                and other.params == self.params)

    def __hash__(self) -> int:
        return hash(self.message_id)


def N_(message_id: str) -> Message:  # noqa: N802 (gettext's marker spelling)
    """A field's or a thing's name, marked for the catalog and rendered in the reader's language."""
    return Message(message_id)


IMPORT_ERRORS_SHOWN = 20


class _MessageList:
    """Row errors of an import, joined in the reader's language (the first ones only)."""

    def __init__(self, messages: list[Message]) -> None:
        self.messages = messages

    def render(self, translate: Translate) -> str:
        shown = [m.render(translate) for m in self.messages[:IMPORT_ERRORS_SHOWN]]
        more = " …" if len(self.messages) > IMPORT_ERRORS_SHOWN else ""
        return N_("; ").render(translate).join(shown) + more


def _render_value(value: Any, translate: Translate) -> Any:
    if isinstance(value, Message | _MessageList):
        return value.render(translate)
    if isinstance(value, DomainError):
        return value.message.render(translate)
    if isinstance(value, crypto_errors.CryptoError):
        return describe_protocol_error(value, translate)
    return value


class DomainError(Exception):
    """Base class: the request was understood and refused.

    ``DomainError("seat %(seat)s appears twice", seat="A1")``: the first
    argument is the English message id, the keywords its placeholders.
    """

    field: str | None = None
    """The form field (or table column) the refusal is about, when one is: a page shows
    the message beside that field (``ballot.services.fields.about`` names it)."""

    def __init__(self, message_id: str | Message, /, **params: Any) -> None:
        self.message = (message_id if isinstance(message_id, Message)
                        else Message(message_id, **params))
        super().__init__(self.message.render())

    def localized(self, translate: Translate) -> str:
        return self.message.render(translate)


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

    def __init__(self, errors: Iterable[Message]) -> None:
        self.errors = list(errors)
        super().__init__(Message("%(errors)s", errors=_MessageList(self.errors)))


# What each kind of protocol error means to the person who sent the thing in,
# in words of the catalog; the protocol's own text (English, for verifiers and
# logs) follows as the technical detail.
PROTOCOL_ERROR_KINDS: Mapping[type[crypto_errors.CryptoError], Message] = {
    crypto_errors.InvalidPoint: N_("a key or a point in the data is not valid"),
    crypto_errors.InvalidScalar: N_("a number in the data is not valid"),
    crypto_errors.InvalidEncoding: N_("the data is not in the expected format"),
    crypto_errors.InvalidProof: N_("a proof does not verify"),
    crypto_errors.InvalidSignature: N_("a signature does not verify"),
    crypto_errors.InvalidManifest: N_("the ballot definition is not valid"),
    crypto_errors.InvalidMarks: N_("the marks break the ballot's limits"),
    crypto_errors.InvalidBallot: N_("the encrypted ballot is not valid"),
    crypto_errors.InvalidOpening: N_("the opened ballot does not match its encryption"),
    crypto_errors.InvalidCredentialCode: N_("the credential code is mistyped"),
    crypto_errors.InvalidShare: N_("a key share does not match its sender's commitments"),
    crypto_errors.InvalidCeremony: N_("the key ceremony data is not valid"),
    crypto_errors.WrongPassphrase: N_("the passphrase does not open this key file"),
    crypto_errors.InvalidBoard: N_("the bulletin board does not check"),
    crypto_errors.DiscreteLogNotFound: N_("a decrypted total is out of range"),
    crypto_errors.PinningFailed: N_("the round's parameters do not match what was recomputed"),
}


_ANY_PROTOCOL_ERROR = N_("the data was refused")


def describe_protocol_error(error: crypto_errors.CryptoError,
                            translate: Translate = untranslated) -> str:
    """A protocol error in the reader's language.

    In English, the protocol's own words, which say exactly where; in another
    language the kind of problem (the protocol's detail is English). A catalog
    that leaves a message id as it is reads English.
    """
    if _ANY_PROTOCOL_ERROR.render(translate) == _ANY_PROTOCOL_ERROR.message_id:
        return str(error)
    kind = next((k for k in type(error).__mro__ if k in PROTOCOL_ERROR_KINDS), None)
    return (PROTOCOL_ERROR_KINDS[kind] if kind else _ANY_PROTOCOL_ERROR).render(translate)


def localize(error: BaseException, translate: Translate) -> str:
    """Any refusal in the reader's language: a domain error, a protocol error, or else its text."""
    if isinstance(error, DomainError):
        return error.localized(translate)
    if isinstance(error, crypto_errors.CryptoError):
        return describe_protocol_error(error, translate)
    return str(error)
