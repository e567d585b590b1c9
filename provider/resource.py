"""``CustomOriginTrustStore``: one root CA in a zone's Cloudflare Custom Origin Trust Store.

A Pulumi dynamic resource. Its provider class lives here, in the importable ``provider``
package, so the pickle Pulumi stores in state (``__provider``) is a *reference* to this class
with no state of its own: fixes to this code reach resources created by older versions, and
nothing secret can be pickled (``__getstate__`` is empty; credentials and clients refuse to be
pickled anyway). The client is built in ``configure()``, in the provider process.

Lifecycle (one API request per create, read and delete on the happy path):

* check   - normalise the PEM; refuse what Cloudflare would refuse (see ``provider.inputs``).
* diff    - new zone or certificate: replace, creating the new entry before deleting the old.
* create  - POST; if the zone already holds this certificate, refuse, or adopt it when
            ``adoptExisting`` is true; optionally wait until ``active`` (``waitForActive``).
* read    - GET; 404, ``pending_deletion`` or ``deleted`` means gone (removed from state).
* update  - options only; keeps every output (the default update would wipe them).
* delete  - DELETE; 404 counts as done. Adopted entries are deleted too: adopting hands the
            entry to the stack (use the ``retain_on_delete`` resource option to keep it).
"""

from __future__ import annotations

import contextlib
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
from provider.changes import compare
from provider.client import LEAVING_STATUSES, EntryStatus, TrustStoreClient, TrustStoreEntry
from provider.config import (
    CONFIG_API_KEY,
    CONFIG_API_TOKEN,
    CONFIG_BASE_URL,
    CONFIG_EMAIL,
    resolve_settings,
)
from provider.errors import ApiError, InvalidInputError, NotFoundError, TrustStoreError
from provider.inputs import (
    ALL_INPUTS,
    CERTIFICATE,
    OPTION_INPUTS,
    ZONE_ID,
    Options,
    check_inputs,
    python_name,
)
from provider.lifecycle_errors import DuplicateEntryError
from provider.outputs import ADOPTED, ALL_OUTPUTS, STATUS, build_outputs
from provider.waiting import wait_until_active

#: The type token in state: ``pulumi-python:dynamic/cloudflare:CustomOriginTrustStore``.
MODULE = "cloudflare"
TYPE_NAME = "CustomOriginTrustStore"
TYPE_TOKEN = f"pulumi-python:dynamic/{MODULE}:{TYPE_NAME}"

PROVIDER_KEY = "__provider"
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
        config = {key: req.config.get(key) for key in _CONFIG_KEYS}
        self._client_or_error: TrustStoreClient | TrustStoreError
        try:
            settings = resolve_settings(config)
            self._client_or_error = TrustStoreClient(
                settings.credentials, base_url=settings.base_url
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

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checked, failures = check_inputs(news)
        reported = [CheckFailure(f.reported_property(), f.reason) for f in failures]
        return CheckResult(checked, reported)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        change = compare(olds, news)
        return DiffResult(
            changes=change.changes,
            replaces=change.replaces,
            delete_before_replace=False,
        )

    # -- CRUD --------------------------------------------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = _inputs_of(props)
        zone_id, pem = inputs[ZONE_ID], inputs[CERTIFICATE]
        options = Options.from_props(inputs)
        client = self._client()
        adopted = False
        try:
            entry = client.upload(zone_id, pem)
        except ApiError as exc:
            existing = client.find(zone_id, pem) if _may_be_duplicate(exc) else None
            if existing is None:
                raise
            if not options.adopt_existing:
                raise _duplicate(zone_id, pem, existing) from None
            entry, adopted = existing, True
        if options.wait_for_active and entry.status != EntryStatus.ACTIVE:
            entry = self._wait_or_undo(client, zone_id, entry, options, undo=not adopted)
        return CreateResult(entry.id, build_outputs(inputs, entry, adopted=adopted))

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

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        outs = {key: value for key, value in olds.items() if key != PROVIDER_KEY}
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

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # Already gone (deleted out of band) is what delete wanted.
        with contextlib.suppress(NotFoundError):
            self._client().delete(str(props[ZONE_ID]), id_)

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


def _may_be_duplicate(exc: ApiError) -> bool:
    """A plain client error (not auth, ACM, rate limit, server): Cloudflare's code for a
    duplicate is undocumented, so any 4xx refusal of an upload is checked against a listing."""
    return type(exc) is ApiError and 400 <= exc.status_code < 500


def _duplicate(zone_id: str, pem: str, existing: TrustStoreEntry) -> DuplicateEntryError:
    facts = certificates.facts_from_text(pem)
    return DuplicateEntryError(
        f"Zone {zone_id} already holds CA '{facts.subject}' (SHA-256 {facts.short_fingerprint})"
        f" as trust store entry {existing.id}, which this stack does not manage. Either set"
        " adoptExisting: true on this resource to manage that entry from now on (destroying the"
        " stack will then delete it), or delete the entry in Cloudflare first. If you renamed"
        " the resource, add the old name as an alias instead (ResourceOptions(aliases=[...])).",
        zone_id=zone_id,
        entry_id=existing.id,
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
      new entry is deleted again and the create fails.
    """

    zone_id: pulumi.Input[str]
    certificate: pulumi.Input[str]
    adopt_existing: pulumi.Input[bool] | None = None
    wait_for_active: pulumi.Input[bool] | None = None
    active_timeout_seconds: pulumi.Input[int] | None = None


#: Python attribute name -> property name in state (the official provider's camelCase).
_STATE_NAMES = {python_name(key): key for key in (*ALL_INPUTS, *ALL_OUTPUTS)}
_PYTHON_NAMES = {state: python for python, state in _STATE_NAMES.items()}


class CustomOriginTrustStore(DynamicResource, module=MODULE, name=TYPE_NAME):
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
    adopted: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        args: CustomOriginTrustStoreArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {f.name: getattr(args, f.name) for f in fields(args)}
        props.update(dict.fromkeys(python_name(key) for key in ALL_OUTPUTS))
        super().__init__(CustomOriginTrustStoreProvider(), resource_name, props, opts)

    def translate_input_property(self, prop: str) -> str:
        return _STATE_NAMES.get(prop, prop)

    def translate_output_property(self, prop: str) -> str:
        return _PYTHON_NAMES.get(prop, prop)
