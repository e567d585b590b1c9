"""A local emulator of Cloudflare's Custom Origin Trust Store API, for tests and demos.

Emulated (``/client/v4``): ``GET|POST /zones/{zone_id}/acm/custom_trust_store`` and
``GET|DELETE /zones/{zone_id}/acm/custom_trust_store/{id}`` with Cloudflare's envelope
(``success, errors, messages, result, result_info``); all eight entry fields with RFC 3339
UTC times; ``issuer`` and ``signature`` read from the certificate; 32-hex ids; statuses
``initializing → pending_deployment → active`` (configurable delay, default immediate),
``expired`` by the emulator clock, asynchronous deletion (``pending_deletion → deleted →
gone``, configurable, default immediate); pagination (``page``, ``per_page`` 5..50,
``limit``, ``offset``); upload checks (one PEM certificate, a self-signed CA, no private
key, not expired, no duplicate in the zone); bearer-token and X-Auth-Email/X-Auth-Key auth;
per-zone Advanced Certificate Manager switch (1450); invalid-id routing errors (7003);
rate limiting (429, ``Retry-After``, 971); fault injection, a request log, clock control and
reset through ``/__emulator/`` (see :mod:`emulator.control_routes`); SQLite persistence (``--db``).
Error codes — which are documented, which observed in the real API and which our choice —
are listed in
:mod:`emulator.errors`.

Also ``GET /zones`` (paginated; the zones holding entries and those declared with
``--zone`` or the control API; :mod:`emulator.zones`).

Not emulated: every other Cloudflare endpoint (zone creation and settings,
``/user/tokens/verify``, ACM settings), token permissions and scopes (one token is
all-powerful), user service keys, account-level rate limits beyond one per-credential
window, the real edge deployment (nothing is ever deployed; statuses are a function of
time), CRL/OCSP checks, key or hash strength rules, HTML error pages from Cloudflare's edge
(malformed HTTP gets a JSON envelope, code 1423), and TLS (plain HTTP on loopback).

Use: ``Emulator(EmulatorConfig(...), clock=...)`` in-process (``.wsgi_app``,
``emulator.transport.EmulatorTransport`` for httpx), ``emulator.server.EmulatorServer`` on a
real socket, or ``python -m emulator --port 0`` as a process (prints its base URL first;
``emulator.process.EmulatorProcess`` starts one). ``emulator.control.EmulatorControl`` drives
the control API of any running one. The pytest fixtures are in ``tests/fixtures/emulator.py``.
"""

from emulator.app import DropConnection, Emulator
from emulator.config import EmulatorConfig
from emulator.faults import Fault

__all__ = ["DropConnection", "Emulator", "EmulatorConfig", "Fault"]
