"""UUID-form entry ids from the server, on the real Pulumi CLI: the engine keeps them as the
resources' ids, and refresh and a later deletion reach the right entries with them.

The emulator keeps issuing 32-hex ids; a proxy (tests/fixtures/uuid_proxy.py) shows them in UUID
form, as the official SDK's generated tests suggest the live API may.
"""

from __future__ import annotations

import re

import pytest

from tests.certs import root_ca
from tests.fixtures.stack import StackFactory
from tests.fixtures.uuid_proxy import uuid_proxy

pytestmark = pytest.mark.e2e

UUID_FORM = re.compile(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")


def test_uuid_entry_ids_survive_up_refresh_and_deletion(trust_store_stack: StackFactory) -> None:
    stack = trust_store_stack()
    with uuid_proxy(stack.emulator.root_url) as (base_url, proxy):
        stack.workspace.env["CLOUDFLARE_BASE_URL"] = base_url
        stack.write_ca("first", root_ca("UUID First Root").pem)
        stack.write_ca("second", root_ca("UUID Second Root").pem)
        stack.workspace.up()

        in_state = {name: r["id"] for name, r in stack.entries_in_state().items()}
        assert all(UUID_FORM.fullmatch(entry_id) for entry_id in in_state.values()), in_state
        live = {e["id"] for e in stack.live_entries()}
        assert {entry_id.replace("-", "") for entry_id in in_state.values()} == live

        first = stack.resource_name("first")
        refreshed = stack.workspace.refresh()
        assert stack.entries_in_state()[first]["id"] == in_state[first], refreshed

        second = in_state[stack.resource_name("second")]
        (stack.certs_dir / "second.pem").unlink()
        stack.workspace.up()
        assert f"/client/v4/zones/{stack.zone_id}/acm/custom_trust_store/{second}" in (
            proxy.paths_seen
        )
        statuses = {e["id"]: e["status"] for e in stack.live_entries()}
        assert statuses.get(second.replace("-", ""), "gone") in {"pending_deletion", "gone"}
        assert statuses[in_state[first].replace("-", "")] == "active"
        assert set(stack.entries_in_state()) == {first}
