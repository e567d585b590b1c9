"""What a rule says about its input: violations, or why it could not judge."""

from __future__ import annotations

from dataclasses import dataclass, field

from .certificates import CertificateFacts
from .errors import CertificateInputError
from .wording import Place


@dataclass(frozen=True, slots=True)
class Entry:
    """One trust-store entry as the rules see it: where it is declared and what it holds.

    Exactly one of ``facts`` (the certificate parsed) and ``problem`` (why it did not) is set.
    ``deployed``: the zone already holds this entry and the deployment does not change it, so
    a problem with it is reported without refusing the deployment (its fix must go through).
    """

    place: Place
    facts: CertificateFacts | None = None
    problem: CertificateInputError | None = None
    deployed: bool = False


@dataclass(frozen=True, slots=True)
class Violation:
    message: str
    urn: str | None = None


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The verdict of one rule: no violations means it passed, unless it was not applicable."""

    violations: tuple[Violation, ...] = ()
    not_applicable: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return not self.violations and self.not_applicable is None


PASSED = Evaluation()
