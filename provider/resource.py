"""``CustomOriginTrustStore``: one root CA in a zone's Cloudflare Custom Origin Trust Store.

A Pulumi dynamic resource. Its provider class lives here, in the importable ``provider``
package, so the pickle Pulumi stores in state (``__provider``) is a *reference* to this class
with no state of its own: fixes to this code reach resources created by older versions, and
nothing secret can be pickled (``__getstate__`` is empty; credentials and clients refuse to be
pickled anyway). The client is built in ``configure()``, in the provider process.

Lifecycle (one API request per create, read and delete on the happy path):

* check   - normalise the PEM; refuse what Cloudflare would refuse (see ``provider.properties``).
* diff    - new zone or certificate: replace, creating the new entry before deleting the old.
            A kept entry is *claimed* for this run (see ``provider.zone_safety``).
* create  - POST; if the zone already holds this certificate, refuse, or adopt it when
            ``adoptExisting`` is true and no other resource of the stack claims it; if the
            same CA's old entry is still being deleted, wait (bounded) and upload again;
            optionally wait until ``active`` (``waitForActive``).
* read    - GET; 404, ``pending_deletion`` or ``deleted`` means gone (removed from state);
            ``expired`` stays, with its status, so refresh shows it.
* update  - options only; keeps every output (the default update would wipe them).
* delete  - under the zone's lock, re-list the zone; never delete an entry another kept
            resource claims; wait (bounded) until a deploying successor is ``active`` before
            deleting the zone's last active CA; refuse to delete its last usable CA unless
            ``allowEmptyZone``. 404 counts as done. Adopted entries are deleted too.

Expected failures (``TrustStoreError``) reach the user as our message alone: see
``provider.host_errors``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass, fields
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.dynamic import Resource as DynamicResource

from policies.trust_rules import certificates
from policies.trust_rules.resource_type import (
    CERTIFICATE,
    DYNAMIC_MODULE,
    DYNAMIC_NAME,
    LEAVING_STATUSES,
    STATUS,
    ZONE_ID,
    EntryStatus,
)
from provider import host_errors, pickling, profiling, progress, zone_safety
from provider.client import TrustStoreClient, certificate_identity
from provider.config import (
    CONFIG_API_KEY,
    CONFIG_API_TOKEN,
    CONFIG_BASE_URL,
    CONFIG_EMAIL,
    resolve_settings,
)
from provider.entries import TrustStoreEntry
from provider.errors import (
    ApiError,
    DeletionPendingError,
    DuplicateEntryError,
    EmptyZoneError,
    EntryClaimedError,
    InvalidInputError,
    NotActiveError,
    NotFoundError,
    TrustStoreError,
)
from provider.pacing import (
    CONFIG_RATE_LIMIT,
    Pacer,
    configure_process_pacer,
    parse_rate_limit,
    process_pacer,
)
from provider.properties import (
    ADOPTED,
    ALL_INPUTS,
    ALL_OUTPUTS,
    ALLOW_EMPTY_ZONE,
    OPTION_INPUTS,
    Options,
    build_outputs,
    check_inputs,
    compare,
    python_name,
    timestamp,
)
from provider.waiting import poll_until, wait_until_active

_LOG = logging.getLogger(__name__)
host_errors.install()

PROVIDER_KEY = "__provider"
#: Cloudflare's answer to re-uploading a CA whose old entry is still being deleted
#: (reported by pulumi-cloudflare users, issue #1440).
HTTP_CONFLICT = 409
_CONFIG_KEYS = (CONFIG_API_TOKEN, CONFIG_API_KEY, CONFIG_EMAIL, CONFIG_BASE_URL)


def _inputs_of(props: dict[str, Any]) -> dict[str, Any]:
    return {key: props[key] for key in ALL_INPUTS if props.get(key) is not None}


class CustomOriginTrustStoreProvider(ResourceProvider):
    """The CRUD of one trust store entry; see the module docstring for each operation."""

    # Nothing secret is ever pickled (see __getstate__), so the pickle need not be encrypted;
    # left in clear text, anyone can check in `pulumi stack export` that it is a bare reference.
    serialize_as_secret_always = False

    def __getstate__(self) -> dict[str, Any]:
        # Only the class reference is pickled; clients and settings live in the provider process.
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickled providers start unconfigured; the engine calls configure() next."""

    # -- configuration ---------------------------------------------------------------------

    def configure(self, req: ConfigureRequest) -> None:
        """Build the client from stack config and environment; failures surface on first use.

        Check and diff need no credentials, so a preview works without them.
        """
        profiling.start_from_env()  # benchmarks only (PROVIDER_PROFILE_DIR)
        config = {key: req.config.get(key) for key in _CONFIG_KEYS}
        #: Settings the user gave in stack config: messages name them rather than env vars.
        self.config_keys = frozenset(key for key, value in config.items() if value)
        self._allow_empty_zone = str(req.config.get(ALLOW_EMPTY_ZONE)).lower() == "true"
        self._client_or_error: TrustStoreClient | TrustStoreError
        try:
            settings = resolve_settings(config)
            pacer = configure_pacing(req.config.get(CONFIG_RATE_LIMIT))
            self._client_or_error = TrustStoreClient(
                settings.credentials,
                base_url=settings.base_url,
                pacer=pacer,
                on_pacing_wait=progress.on_pacing_wait(str(pacer.limit)) if pacer else None,
            )
        except TrustStoreError as exc:
            self._client_or_error = exc

    def close(self) -> None:
        """Release the client's connections (tests; the engine simply ends the process)."""
        found = getattr(self, "_client_or_error", None)
        if isinstance(found, TrustStoreClient):
            found.close()

    def _client(self) -> TrustStoreClient:
        found: TrustStoreClient | TrustStoreError | None = getattr(self, "_client_or_error", None)
        if found is None:
            raise TrustStoreError(
                "The provider was used before configure(): call"
                " provider.configure(ConfigureRequest(...)) first (the Pulumi engine does)."
            )
        if isinstance(found, TrustStoreError):
            raise found
        return found

    # -- check and diff (no API calls) -------------------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checked, failures = check_inputs(news, olds)
        reported = [CheckFailure(f.reported_property(), f.reason) for f in failures]
        return CheckResult(checked, reported)

    @host_errors.expected_failures
    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        change = compare(olds, news)
        zone_id = olds.get(ZONE_ID)
        if not change.replaces and isinstance(zone_id, str) and id_:
            zone_safety.claim(zone_id, id_)
        return DiffResult(
            changes=change.changes,
            replaces=change.replaces,
            delete_before_replace=False,
        )

    # -- CRUD --------------------------------------------------------------------------------

    @host_errors.expected_failures
    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = _inputs_of(props)
        zone_id, pem = inputs[ZONE_ID], inputs[CERTIFICATE]
        options = Options.from_props(inputs)
        client = self._client()
        entry, adopted = self._upload_or_adopt(client, zone_id, pem, options)
        if options.wait_for_active and entry.status != EntryStatus.ACTIVE:
            entry = self._wait_or_undo(client, zone_id, entry, options, undo=not adopted)
        zone_safety.claim(zone_id, entry.id)
        return CreateResult(entry.id, build_outputs(inputs, entry, adopted=adopted))

    def _upload_or_adopt(
        self, client: TrustStoreClient, zone_id: str, pem: str, options: Options
    ) -> tuple[TrustStoreEntry, bool]:
        """Upload; on a refusal, tell a live duplicate (refuse or adopt) from the same CA's
        old entry still being deleted (wait for it, bounded, then upload again)."""
        wait_seconds = options.active_timeout_seconds
        waited = False
        while True:
            try:
                return client.upload(zone_id, pem), False
            except ApiError as exc:
                if not _may_be_duplicate(exc):
                    raise
                listing = client.list(zone_id)
                live, leaving = _matches(listing, pem)
                if live is not None:
                    return self._adopt(zone_id, pem, live, options), True
                if waited and leaving is not None:
                    raise _deletion_pending(zone_id, pem, leaving, wait_seconds) from None
                # A 409 whose cause was gone by the time we listed (the old entry's deletion
                # completed meanwhile) is worth one more upload; any other refusal is final.
                if waited or (leaving is None and exc.status_code != HTTP_CONFLICT):
                    raise
                waited = True
                if leaving is not None:
                    _LOG.info("entry %s is being deleted; waiting to upload again", leaving.id)
                    poll_until(
                        lambda: _matches(client.list(zone_id), pem)[1] is None,
                        timeout=wait_seconds,
                    )

    @staticmethod
    def _adopt(
        zone_id: str, pem: str, existing: TrustStoreEntry, options: Options
    ) -> TrustStoreEntry:
        if zone_safety.is_claimed(zone_id, existing.id):
            raise _claimed(zone_id, pem, existing)
        if not options.adopt_existing:
            raise _duplicate(zone_id, pem, existing)
        return existing

    @host_errors.expected_failures
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        zone_id = props.get(ZONE_ID)
        if not isinstance(zone_id, str):
            raise InvalidInputError(
                f"Cannot read trust store entry {id_}: its zoneId is not in state. Dynamic"
                " resources cannot be imported; adopt an existing entry with adoptExisting: true.",
                parameter=ZONE_ID,
            )
        try:
            entry = self._client().get(zone_id, id_)
        except NotFoundError:
            return ReadResult("", {})
        if entry.status in LEAVING_STATUSES:
            return ReadResult("", {})
        outs = build_outputs(_inputs_of(props), entry, adopted=props.get(ADOPTED) is True)
        return ReadResult(id_, outs)

    @host_errors.expected_failures
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        outs = {key: value for key, value in olds.items() if key != PROVIDER_KEY}
        if isinstance(outs.get(ZONE_ID), str):
            zone_safety.claim(str(outs[ZONE_ID]), id_)
        for key in OPTION_INPUTS:
            outs.pop(key, None)
        outs.update({key: news[key] for key in OPTION_INPUTS if news.get(key) is not None})
        options = Options.from_props(news)
        if options.wait_for_active and outs.get(STATUS) != EntryStatus.ACTIVE:
            client = self._client()
            zone_id = str(outs[ZONE_ID])
            entry = wait_until_active(
                lambda: client.get(zone_id, id_),
                client.get(zone_id, id_),
                zone_id=zone_id,
                timeout=options.active_timeout_seconds,
            )
            outs = build_outputs(
                {**_inputs_of(outs), **_inputs_of(news)}, entry, adopted=outs.get(ADOPTED) is True
            )
        return UpdateResult(outs)

    @host_errors.expected_failures
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        zone_id = str(props[ZONE_ID])
        if zone_safety.is_claimed(zone_id, id_):
            # Another resource kept in this run holds this entry (adopted after a rename, or
            # declared twice): deleting it would take the CA from that resource's zone.
            _LOG.info("entry %s is held by another resource of this stack; not deleted", id_)
            return
        options = Options.from_props(props)
        allow_empty = options.allow_empty_zone or getattr(self, "_allow_empty_zone", False)
        client = self._client()
        with zone_safety.zone_lock(zone_id):
            plan = zone_safety.plan_deletion(client.list(zone_id), id_, zone_safety.utc_now())
            if plan.target is None:
                return  # Already gone (deleted out of band, or by an earlier attempt).
            if plan.successors_deploying:
                plan = self._wait_for_successor(client, zone_id, id_, plan, options)
            if plan.target is None:
                return  # Gone while we waited.
            if plan.empties_zone and not allow_empty:
                raise _empty_zone(zone_id, plan.target)
            # Already gone (deleted out of band) is what delete wanted.
            with contextlib.suppress(NotFoundError):
                client.delete(zone_id, id_)

    @staticmethod
    def _wait_for_successor(
        client: TrustStoreClient,
        zone_id: str,
        id_: str,
        plan: zone_safety.DeletionPlan,
        options: Options,
    ) -> zone_safety.DeletionPlan:
        """Keep the zone's last active CA until a successor is active; bounded by
        ``activeTimeoutSeconds``. On timeout the delete fails and the entry stays."""
        latest = [plan]

        def successor_active() -> bool:
            latest[0] = zone_safety.plan_deletion(client.list(zone_id), id_, zone_safety.utc_now())
            return not latest[0].successors_deploying

        if not poll_until(successor_active, timeout=options.active_timeout_seconds):
            raise _successor_not_active(zone_id, plan, options.active_timeout_seconds)
        return latest[0]

    # -- helpers -----------------------------------------------------------------------------

    def _wait_or_undo(
        self,
        client: TrustStoreClient,
        zone_id: str,
        entry: TrustStoreEntry,
        options: Options,
        *,
        undo: bool,
    ) -> TrustStoreEntry:
        """Wait for ``active``; on failure delete what this create uploaded, so that a failed
        create leaves nothing behind (Pulumi records nothing for it)."""
        try:
            return wait_until_active(
                lambda: client.get(zone_id, entry.id),
                entry,
                zone_id=zone_id,
                timeout=options.active_timeout_seconds,
            )
        except TrustStoreError:
            if undo:
                with contextlib.suppress(NotFoundError):
                    client.delete(zone_id, entry.id)
            raise


def configure_pacing(configured: object) -> Pacer | None:
    """The process's pacer: the stack's ``rateLimit`` when set (it wins over
    ``CLOUDFLARE_RATE_LIMIT``), else the environment's, else Cloudflare's limit."""
    if isinstance(configured, str) and configured.strip():
        source = f"Stack config {CONFIG_RATE_LIMIT}"
        return configure_process_pacer(parse_rate_limit(configured, source=source))
    return process_pacer()


def _may_be_duplicate(exc: ApiError) -> bool:
    """A plain client error (not auth, ACM, rate limit, server): Cloudflare's code for a
    duplicate is undocumented, so any 4xx refusal of an upload is checked against a listing."""
    return type(exc) is ApiError and 400 <= exc.status_code < 500


def _matches(
    entries: tuple[TrustStoreEntry, ...], pem: str
) -> tuple[TrustStoreEntry | None, TrustStoreEntry | None]:
    """The zone's live entry holding ``pem``, and one being deleted, if any."""
    wanted = certificate_identity(pem)
    same = [e for e in entries if certificate_identity(e.certificate) == wanted]
    live = next((e for e in same if e.status not in LEAVING_STATUSES), None)
    leaving = next((e for e in same if e.status in LEAVING_STATUSES), None)
    return live, leaving


def _who(pem: str) -> str:
    facts = certificates.facts_from_text(pem)
    return f"CA '{facts.subject}' (SHA-256 {facts.short_fingerprint})"


def _ago(moment: dt.datetime) -> str:
    minutes = int((zone_safety.utc_now() - moment).total_seconds() // 60)
    return f"{minutes} minute{'' if minutes == 1 else 's'} ago" if minutes >= 0 else "just now"


def _duplicate(zone_id: str, pem: str, existing: TrustStoreEntry) -> DuplicateEntryError:
    return DuplicateEntryError(
        f"Zone {zone_id} already holds {_who(pem)} as trust store entry {existing.id}"
        f" (uploaded {timestamp(existing.uploaded_on)}, {_ago(existing.uploaded_on)}), and no"
        " resource kept in this deployment manages it. Nothing was uploaded or deleted. If a"
        " resource of this stack that this deployment removes held it (a rename), or an"
        " interrupted `pulumi up` uploaded it, or it was uploaded outside Pulumi: run `pulumi"
        " config set adoptExisting true` and `pulumi up` again; this resource then manages the"
        " entry (destroying the stack deletes it) and the removed resource leaves it in place."
        " See docs/provider.md, 'If a deployment was interrupted'.",
        zone_id=zone_id,
        entry_id=existing.id,
    )


def _claimed(zone_id: str, pem: str, existing: TrustStoreEntry) -> EntryClaimedError:
    return EntryClaimedError(
        f"Zone {zone_id} already holds {_who(pem)} as trust store entry {existing.id}, and"
        " another resource of this stack manages it: the same CA is declared twice in this"
        " zone. Nothing was uploaded or deleted. Remove one of the two declarations and run"
        " `pulumi up` again.",
        zone_id=zone_id,
        entry_id=existing.id,
    )


def _deletion_pending(
    zone_id: str, pem: str, leaving: TrustStoreEntry, waited: float
) -> DeletionPendingError:
    return DeletionPendingError(
        f"Zone {zone_id} still holds {_who(pem)} as trust store entry {leaving.id}, which is"
        f" {leaving.status}, and Cloudflare refuses to upload the same CA again until that"
        f" deletion completes; waited {waited:g} s (activeTimeoutSeconds). Nothing was"
        " uploaded. Run `pulumi up` again in a few minutes.",
        zone_id=zone_id,
        entry_id=leaving.id,
    )


def _empty_zone(zone_id: str, entry: TrustStoreEntry) -> EmptyZoneError:
    return EmptyZoneError(
        f"Refusing to delete trust store entry {entry.id} ({_who(entry.certificate)}) from zone"
        f" {zone_id}: it is the zone's last usable CA. With an empty store Cloudflare falls"
        " back to its public CAs: an outage for every origin whose certificate comes from a"
        " private CA. Nothing was deleted. If this is a mistake (a removed file, a wrong"
        " zoneId), put the CA back in the program and run `pulumi up`. If the zone really"
        " must be left without a CA, run `pulumi config set allowEmptyZone true`, then `pulumi"
        " up` (which stores the setting with the stack), then this command again.",
        zone_id=zone_id,
        entry_id=entry.id,
    )


def _successor_not_active(
    zone_id: str, plan: zone_safety.DeletionPlan, waited: float
) -> NotActiveError:
    target = plan.target
    if target is None:  # a plan with successors always has a target
        raise TypeError("no entry to keep")
    successors = ", ".join(f"{e.id} ({e.status})" for e in plan.successors_deploying)
    return NotActiveError(
        f"Kept trust store entry {target.id} in zone {zone_id}: it is the zone's last active CA"
        f" and its successor {successors} did not become active within {waited:g} s"
        " (activeTimeoutSeconds). Nothing was deleted. Run `pulumi up` again once Cloudflare"
        " shows the new CA as active (`pulumi refresh` shows its status), or raise"
        " activeTimeoutSeconds.",
        zone_id=zone_id,
        entry_id=target.id,
        last_status=str(plan.successors_deploying[0].status),
    )


@dataclass(frozen=True)
class CustomOriginTrustStoreArgs:
    """Inputs of a ``CustomOriginTrustStore``.

    * ``zone_id``: the zone's 32-hex-character id.
    * ``certificate``: one self-signed root CA certificate, PEM (whitespace does not matter).
    * ``adopt_existing``: if the zone already holds this certificate, manage that entry instead
      of failing (dynamic resources cannot be ``pulumi import``-ed). Default false.
    * ``wait_for_active``: after upload, wait until Cloudflare reports ``active``. Default false.
    * ``active_timeout_seconds``: the longest such wait (1..3600, default 300); on timeout the
      new entry is deleted again and the create fails. Also bounds the wait of a delete for a
      successor to become active, and of an upload for the same CA's old entry to be deleted.
    * ``allow_empty_zone``: allow deleting the zone's last usable CA. Default false (the stack
      config ``allowEmptyZone: true`` allows it for every entry too).
    """

    zone_id: pulumi.Input[str]
    certificate: pulumi.Input[str]
    adopt_existing: pulumi.Input[bool] | None = None
    wait_for_active: pulumi.Input[bool] | None = None
    active_timeout_seconds: pulumi.Input[int] | None = None
    allow_empty_zone: pulumi.Input[bool] | None = None


#: Python attribute name -> property name in state (the official provider's camelCase).
_STATE_NAMES = {python_name(key): key for key in (*ALL_INPUTS, *ALL_OUTPUTS)}
_PYTHON_NAMES = {state: python for python, state in _STATE_NAMES.items()}


class CustomOriginTrustStore(DynamicResource, module=DYNAMIC_MODULE, name=DYNAMIC_NAME):
    """One root CA certificate in a zone's Custom Origin Trust Store.

    Attributes are snake_case in Python; in state they carry the official provider's names
    (``zoneId``, ``expiresOn``, ...).
    """

    zone_id: pulumi.Output[str]
    certificate: pulumi.Output[str]
    expires_on: pulumi.Output[str]
    issuer: pulumi.Output[str]
    signature: pulumi.Output[str]
    status: pulumi.Output[str]
    uploaded_on: pulumi.Output[str]
    updated_at: pulumi.Output[str]
    fingerprint_sha256: pulumi.Output[str]
    subject: pulumi.Output[str]
    not_before: pulumi.Output[str]
    not_after: pulumi.Output[str]
    key_type: pulumi.Output[str]
    adopted: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        args: CustomOriginTrustStoreArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {f.name: getattr(args, f.name) for f in fields(args)}
        props.update(dict.fromkeys(python_name(key) for key in ALL_OUTPUTS))
        pickling.flatten()  # else thousands of entries hit Pulumi's RecursionError
        super().__init__(CustomOriginTrustStoreProvider(), resource_name, props, opts)

    def translate_input_property(self, prop: str) -> str:
        return _STATE_NAMES.get(prop, prop)

    def translate_output_property(self, prop: str) -> str:
        return _PYTHON_NAMES.get(prop, prop)
