"""Spring Data paging for list endpoints: `page` (zero-based), `size` and
repeatable `sort=property[,asc|desc]`, returned in the `PagedModel` envelope."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query

from dms_simulator.errors import validation_failed

DEFAULT_SIZE = 20
MAX_SIZE = 2000


@dataclass(frozen=True)
class PageRequest:
    page: int
    size: int
    sort: tuple[str, ...]


def page_request(
    page: Annotated[int, Query(description="zero-based page number")] = 0,
    size: Annotated[int, Query(description="page size, at most 2000")] = DEFAULT_SIZE,
    sort: Annotated[list[str] | None, Query(description="property[,asc|desc]; repeatable")] = None,
) -> PageRequest:
    # Like Spring Data: a negative page means the first, a size out of range is
    # replaced by the default or clamped to the maximum.
    page = max(page, 0)
    if size < 1:
        size = DEFAULT_SIZE
    size = min(size, MAX_SIZE)
    return PageRequest(page=page, size=size, sort=tuple(sort or ()))


Paging = Annotated[PageRequest, Depends(page_request)]


def _sort_key(value: Any) -> tuple[int, Any]:
    # None sorts first; numbers and booleans by value, everything else as text.
    if value is None:
        return (0, 0)
    if isinstance(value, bool | int | float):
        return (1, value)
    return (2, str(value))


def _item_key(name: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    def key(item: dict[str, Any]) -> tuple[int, Any]:
        return _sort_key(item.get(name))

    return key


def _sort_orders(sort: Sequence[str]) -> list[tuple[str, bool]]:
    orders: list[tuple[str, bool]] = []
    for spec in sort:
        tokens = [token.strip() for token in spec.split(",") if token.strip()]
        descending = False
        if tokens and tokens[-1].lower() in ("asc", "desc"):
            descending = tokens.pop().lower() == "desc"
        orders.extend((name, descending) for name in tokens)
    return orders


def paginate(items: list[dict[str, Any]], request: PageRequest) -> dict[str, Any]:
    """Sort and cut `items` (wire dicts) into one page envelope."""
    known = {key for item in items for key in item}
    ordered = list(items)
    # Stable sorts applied from the last order to the first give a multi-key sort.
    for name, descending in reversed(_sort_orders(request.sort)):
        if items and name not in known:
            raise validation_failed("sort", f"unknown property '{name}'")
        ordered.sort(key=_item_key(name), reverse=descending)
    total = len(ordered)
    start = request.page * request.size
    content = ordered[start : start + request.size]
    return {
        "links": [],
        "content": content,
        "page": {
            "size": request.size,
            "totalElements": total,
            "totalPages": (total + request.size - 1) // request.size,
            "number": request.page,
        },
    }
