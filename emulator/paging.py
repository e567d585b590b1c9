"""One page of a listing and its ``result_info``, as Cloudflare's list endpoints send them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    page: int
    per_page: int
    total_count: int
    #: Cloudflare's zone listing also says how many pages there are; the trust store's does not.
    with_total_pages: bool = False

    def result_info(self) -> dict[str, int]:
        info = {
            "count": len(self.items),
            "page": self.page,
            "per_page": self.per_page,
            "total_count": self.total_count,
        }
        if self.with_total_pages:
            info["total_pages"] = math.ceil(self.total_count / self.per_page)
        return info
