"""What to do about a Cloudflare error code, for codes Cloudflare documents for this store.

Sources: Cloudflare's "Custom certificates > Troubleshooting > Error codes" page (1411 for the
Custom Origin Trust Store; 1002 and 1220 for custom certificates, the sibling API of the same
SSL service; see the provenance table in ``emulator/errors.py``). Each hint, followed
literally, leaves the zone's store as it was or better: none of them deletes anything.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Cloudflare error code -> advice appended to the error message.
CODE_HINTS: dict[int, str] = {
    1411: (
        "Cloudflare accepts only root CA certificates here (code 1411): upload the self-signed"
        " root of your origin's chain, not an intermediate or leaf; if you issue the root"
        " yourself, add basicConstraints CA:TRUE (openssl `-extensions v3_ca`)."
    ),
    1002: (
        "Cloudflare could not read the certificate (code 1002): check its BEGIN/END"
        " CERTIFICATE lines and remove extra lines or characters from copy and paste; inspect"
        " it with `openssl x509 -in ca.pem -noout -text`."
    ),
    1220: (
        "This certificate is already in the zone's trust store (code 1220): keep the existing"
        " entry instead of uploading it again (list the zone's store to find its id), or drop"
        " the second declaration of the same CA from your program."
    ),
}


def hint_for_codes(codes: Iterable[int]) -> str | None:
    """The hint for the first documented code among ``codes``, or ``None``."""
    return next((CODE_HINTS[code] for code in codes if code in CODE_HINTS), None)
