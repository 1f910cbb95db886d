"""The error tree of ixcenter.

Every error the platform raises on purpose is an ``IxcError``; callers at the edges (the CLI, the
API) map the subclasses to exit codes and RFC 9457 problem types::

    IxcError
    ├── ValidationFailed      input breaks one or more rules; carries every problem found
    │   └── FormatError       a file or document is malformed or breaks its schema
    ├── NotFound              a named object does not exist
    ├── AuthenticationFailed  no credentials, or credentials that match nothing
    ├── PermissionDenied      the caller's role or scope does not allow the operation
    ├── ConfigurationError    settings that make the platform unable to start
    ├── DecodeError           wire data (a flow datagram, a PDU) is malformed; carries the offset
    └── UpstreamError         a service ixcenter relies on (an IRR whois server, a daemon) failed
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken rule: where (``field``), what (``message``) and a stable ``code``."""

    field: str
    message: str
    code: str = "invalid"

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class IxcError(Exception):
    """Root of every error ixcenter raises on purpose."""

    title = "ixcenter error"
    slug = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(IxcError):
    """Input that breaks one or more rules; ``problems`` lists all of them, not only the first."""

    title = "Validation failed"
    slug = "validation-failed"

    def __init__(self, problems: list[Problem] | tuple[Problem, ...], message: str = "") -> None:
        self.problems = tuple(problems)
        text = message or "; ".join(str(p) for p in self.problems) or "invalid input"
        super().__init__(text)


class FormatError(ValidationFailed):
    """A document (IX-F JSON, PeeringDB JSON, ...) that is malformed or breaks its schema."""

    title = "Malformed document"
    slug = "malformed-document"


class NotFound(IxcError):
    """A named object does not exist."""

    title = "Not found"
    slug = "not-found"


class AuthenticationFailed(IxcError):
    """Missing credentials, or credentials that match nothing."""

    title = "Authentication failed"
    slug = "authentication-failed"


class PermissionDenied(IxcError):
    """The caller's role or scope does not allow this operation."""

    title = "Permission denied"
    slug = "permission-denied"


class ConfigurationError(IxcError):
    """Settings that keep the platform from starting."""

    title = "Configuration error"
    slug = "configuration-error"


class DecodeError(IxcError):
    """Wire data (an sFlow datagram, an IPFIX message, a PDU) that is malformed or truncated.

    ``offset`` is the byte position inside the datagram where decoding stopped.
    """

    title = "Malformed wire data"
    slug = "malformed-wire-data"

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at byte {offset})")
        self.offset = offset


class Problems:
    """Collects every broken rule of one request before anything is written.

    >>> p = Problems()
    >>> p.check(1 + 1 == 2, "sum", "arithmetic is broken")
    >>> p.raise_if_any()
    """

    def __init__(self) -> None:
        self._items: list[Problem] = []

    def add(self, field: str, message: str, code: str = "invalid") -> None:
        self._items.append(Problem(field, message, code))

    def check(self, condition: bool, field: str, message: str, code: str = "invalid") -> None:
        if not condition:
            self.add(field, message, code)

    def extend(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self._items.extend(problems)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def items(self) -> tuple[Problem, ...]:
        return tuple(self._items)

    def raise_if_any(self, error: type[ValidationFailed] = ValidationFailed) -> None:
        if self._items:
            raise error(self._items)


class UpstreamError(IxcError):
    """A service ixcenter relies on (an IRR whois server, a routing daemon) failed or timed out."""

    title = "Upstream service failed"
    slug = "upstream-failed"
