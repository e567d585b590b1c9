"""The catalogue as Pulumi policies: read the inputs safely, run the rule, report.

During preview a property may be unknown; pulumi-policy then raises ``UnknownValueError`` on any
read (even ``in`` or ``.get``). Each policy reads only ``certificate`` and ``zoneId`` (stack
policies also ``status`` and ``uploadedOn``, to skip entries being deleted or expired and to
tell entries the deployment leaves unchanged; resource policies also ``alreadyDeployed``),
turns an unknown into an explicit "not applicable" note instead of the generic advisory the
runtime would print, and never guesses a verdict from missing data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, Final

import pulumi_policy.policy
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

from policies.trust_rules.catalog import (
    BLOCKING_LEVELS,
    POLICY_CONFIG,
    RESOURCE_POLICIES,
    STACK_POLICIES,
    TRUST_STORE_TYPES,
    Level,
    PolicySpec,
    ResourcePolicy,
    Settings,
    StackPolicy,
    config_name_problems,
    entry_for,
)
from policies.trust_rules.catalog import Severity as RuleSeverity
from policies.trust_rules.errors import PolicyConfigError
from policies.trust_rules.outcomes import Entry, Place

PACK_NAME = "cloudflare-origin-trust-store"
PACK_DESCRIPTION = (
    "Checks Cloudflare custom origin trust store entries: one well-formed, strong, valid root CA "
    "each, and every zone covered with a successor ready before expiry."
)
CERTIFICATE_KEY = "certificate"
ZONE_KEY = "zoneId"


class _Unknown:
    """A value the engine will only know after apply."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()
_UNKNOWN_SENTINELS = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)
_LEVELS = {level: EnforcementLevel(level.value) for level in Level}
_SEVERITIES = {severity: Severity(severity.value) for severity in RuleSeverity}


#: Output both resource types carry: Cloudflare's status of the entry.
STATUS_KEY = "status"
#: Statuses of an entry that does not serve its zone: on its way out, or expired.
UNUSABLE_STATUSES = frozenset({"pending_deletion", "deleted", "expired"})
#: Output both resource types carry once the entry exists in Cloudflare.
UPLOADED_ON_KEY = "uploadedOn"
#: Checked input the dynamic provider sets when the resource already holds this certificate.
ALREADY_DEPLOYED_KEY = "alreadyDeployed"


def read_property(props: Mapping[str, Any], key: str) -> object:
    """``props[key]``, ``None`` when absent, ``UNKNOWN`` when not known until apply."""
    try:
        value = props[key]
    except KeyError:
        return None
    except UnknownValueError:
        return UNKNOWN
    if isinstance(value, str) and value in _UNKNOWN_SENTINELS:
        return UNKNOWN
    return value


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _place(name: str, urn: str, zone_id: object) -> Place:
    return Place(name, zone_id if isinstance(zone_id, str) else None, urn)


def _settings(spec: PolicySpec, args: ResourceValidationArgs | StackValidationArgs) -> Settings:
    """The policy's settings; a bad key is origin-ca-policy-config's to report, not a crash."""
    try:
        return spec.read_config(args.get_config())
    except PolicyConfigError as exc:
        args.not_applicable(f"its config is invalid ({exc}); {POLICY_CONFIG.name} reports it")
        raise  # not_applicable raises; this keeps type checkers informed


def _resource_validation(policy: ResourcePolicy) -> Any:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in TRUST_STORE_TYPES:
            return
        certificate = read_property(args.props, CERTIFICATE_KEY)
        if certificate is UNKNOWN:
            args.not_applicable(
                f"the certificate of '{args.name}' is not known until apply, so "
                f"{policy.spec.name} cannot judge it during preview; it runs again on update"
            )
        place = _place(args.name, args.urn, read_property(args.props, ZONE_KEY))
        settings = _settings(policy.spec, args)
        deployed = read_property(args.props, ALREADY_DEPLOYED_KEY) is True
        entry = entry_for(certificate, place, deployed=deployed)
        evaluation = policy.evaluate(entry, utc_now(), settings)
        if evaluation.not_applicable is not None:
            args.not_applicable(evaluation.not_applicable)
        for violation in evaluation.violations:
            report_violation(violation.message, None)

    return validate


def _stack_validation(policy: StackPolicy) -> Any:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        entries: list[Entry] = []
        pending: list[Place] = []
        for resource in args.resources:
            if resource.resource_type not in TRUST_STORE_TYPES:
                continue
            if read_property(resource.props, STATUS_KEY) in UNUSABLE_STATUSES:
                # Being deleted or expired (seen after a refresh): it does not cover its zone.
                continue
            certificate = read_property(resource.props, CERTIFICATE_KEY)
            zone_id = read_property(resource.props, ZONE_KEY)
            place = _place(resource.name, resource.urn, zone_id)
            if certificate is UNKNOWN or zone_id is UNKNOWN:
                pending.append(place)
            else:
                # Outputs of an entry this deployment does not create or replace carry the
                # upload time; a new or replacing one has none yet during preview.
                deployed = isinstance(read_property(resource.props, UPLOADED_ON_KEY), str)
                entries.append(entry_for(certificate, place, deployed=deployed))
        settings = _settings(policy.spec, args)
        evaluation = policy.evaluate(entries, pending, utc_now(), settings)
        if evaluation.not_applicable is not None:
            args.not_applicable(evaluation.not_applicable)
        blocking = received_levels.get(policy.spec.name, policy.spec.level) in BLOCKING_LEVELS
        # A problem the deployment leaves as it was is a warning, never a refusal.
        kept = [v for v in evaluation.violations if v.refusable or not blocking]
        notes = [*evaluation.notes, *(v.message for v in evaluation.violations if v not in kept)]
        note = f" Note: {'; '.join(notes)}." if notes else ""
        for violation in kept:
            report_violation(violation.message + note, violation.urn)
        if not kept and notes:
            # Nothing failed among the known entries; say what could not be judged yet.
            args.not_applicable("; ".join(notes))

    return validate


def _common(spec: PolicySpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "description": spec.description,
        "enforcement_level": _LEVELS[spec.level],
        "severity": _SEVERITIES[spec.severity],
        "remediation_steps": spec.remediation,
        "config_schema": PolicyConfigSchema(
            properties={setting.key: setting.schema() for setting in spec.settings}
        ),
    }


#: Each policy's config keys as the engine last sent them (``Configure``), typos included.
received_config: dict[str, list[str]] = {}
#: Each policy's enforcement level as the engine last sent it (``Configure``).
received_levels: dict[str, Level] = {}


def _record_configure() -> None:
    """Keep the whole config the engine sends, so typos can be named.

    The engine passes unknown policy names and setting keys through to the pack (its schema check
    only types the known keys), and pulumi-policy hands each policy only its own entry. Its
    servicer is private, so this wraps its ``Configure`` once, keeping the original behaviour.
    """
    servicer = pulumi_policy.policy._PolicyAnalyzerServicer
    original: Callable[[Any, Any, Any], Any] = servicer.Configure
    if getattr(original, "records_config", False):
        return

    def configure(self: Any, request: Any, context: Any) -> Any:
        received_config.clear()
        received_levels.clear()
        for name in request.policyConfig:
            received_config[name] = sorted(request.policyConfig[name].properties.keys())
            level = self._convert_enforcement_level(request.policyConfig[name].enforcementLevel)
            received_levels[name] = Level(level.value)
        return original(self, request, context)

    configure.records_config = True  # type: ignore[attr-defined]
    servicer.Configure = configure  # type: ignore[method-assign]


def _validate_config(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for problem in config_name_problems(received_config):
        report_violation(
            f"--policy-pack-config: {problem}. The engine ignores what it does not know, so this "
            "setting would silently not apply. Correct the name; `cf-origin-trust-store check "
            "--config FILE` validates the file before a deployment.",
            None,
        )


def build_policies() -> list[Policy]:
    """Every policy of the pack, in catalogue order."""
    resource: list[Policy] = [
        ResourceValidationPolicy(validate=_resource_validation(policy), **_common(policy.spec))
        for policy in RESOURCE_POLICIES
    ]
    stack: list[Policy] = [
        StackValidationPolicy(validate=_stack_validation(policy), **_common(policy.spec))
        for policy in STACK_POLICIES
    ]
    config = StackValidationPolicy(validate=_validate_config, **_common(POLICY_CONFIG))
    return [*resource, *stack, config]


def serve() -> None:
    """Start the pack's gRPC server for the engine; blocks until the engine stops it."""
    _record_configure()
    PolicyPack(name=PACK_NAME, policies=build_policies(), description=PACK_DESCRIPTION)
