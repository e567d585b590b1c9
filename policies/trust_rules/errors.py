"""Why a certificate input was refused: one exception per problem, all under one base.

::

    CertificateInputError (ValueError)   the input is not one usable certificate
    ├── NotTextError                     not a string (bytes, None, a number, ...)
    ├── EmptyCertificateError            empty or only whitespace
    ├── PrivateKeyMaterialError          a PRIVATE KEY block is present (any kind, encrypted or not)
    ├── CertificateBundleError           more than one certificate
    └── UnparseableCertificateError      no certificate block, bad base64 or bad DER
        └── NonPositiveSerialError       a serial number that is negative or zero (RFC 5280)

    PolicyConfigError (ValueError)       a policy config value has the wrong type or range

Messages never quote the input: it might hold key material.
"""

from __future__ import annotations


class CertificateInputError(ValueError):
    """The input is not exactly one parseable X.509 certificate in PEM."""


class NotTextError(CertificateInputError):
    """The input is not text."""


class EmptyCertificateError(CertificateInputError):
    """The input is empty or only whitespace."""


class PrivateKeyMaterialError(CertificateInputError):
    """The input contains private key material; refused before anything else is looked at."""


class CertificateBundleError(CertificateInputError):
    """The input holds several certificates; each trust-store entry takes exactly one."""


class UnparseableCertificateError(CertificateInputError):
    """The input has no PEM certificate block, or its base64 or DER is broken."""


class NonPositiveSerialError(UnparseableCertificateError):
    """The serial number is negative or zero: RFC 5280 forbids it, cryptography warns (and
    will refuse it)."""


class PolicyConfigError(ValueError):
    """A policy config names an unknown policy or setting, or a value has the wrong type/range."""
