"""``audit``: what the live trust stores hold right now, judged by the same policies as the pack.

Collection (``collect``) reads each zone's store through the provider's client, concurrently and
paced; ``stack_state`` reads ``pulumi stack export`` files for drift; ``findings`` turns the
snapshot into policy results and per-zone coverage; ``outputs`` renders them. This package
imports ``provider``; only ``policies.commands.audit`` imports it, and only when audit runs, so a
published pack (which carries no ``provider``) still loads ``check``. Keep this file free of
``provider`` imports: the command's options read the constants below.
"""

#: Zones read at once by default: enough to reach the pacing floor on the real API (each read
#: waits on a round trip), few enough to be polite to a laptop and the API.
DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 64
