"""Pages of a list: the one helper every HTML list uses (the API has app.api.common.paginate,
``?limit=&offset=``). A page number from the address is read once here: anything that is not
a whole number gives page 1, a number past the end gives the last page; never an error.
The pager that goes with it is templates/macros/paging.html."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from flask import request

from app.extensions import db
from app.text import PAGE_MAX, bounded_int

T = TypeVar("T")
PER_PAGE = 50


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows, its number (from 1), how many pages and rows there are."""

    items: list[T]
    page: int
    pages: int
    total: int
    per_page: int

    @property
    def first(self) -> int:
        """The place (from 1) of the page's first row in the whole list (0 when empty)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)

    @property
    def partial(self) -> bool:
        """The list has more rows than this page shows."""
        return self.total > len(self.items)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


def page_number(name: str = "page") -> int:
    """The page the address asks for (``?page=``), from 1; anything else gives 1."""
    return bounded_int(request.args.get(name), 1, high=PAGE_MAX)


def clamp(page: int, total: int, per_page: int) -> tuple[int, int]:
    """The page shown for ``page`` (1 to the last) and how many pages there are."""
    pages = max(1, -(-total // per_page))
    return min(max(1, page), pages), pages


def count(query: sa.Select) -> int:
    """How many rows ``query`` has (one COUNT over it, its order dropped)."""
    found = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    )
    return int(found or 0)


def page_of(
    query: sa.Select, page: int, per_page: int = PER_PAGE, *, options: Sequence[Any] = ()
) -> Page:
    """Page ``page`` of ``query`` (ordered by the caller; a unique column last makes pages
    stable): a COUNT, then the page's rows with ``options`` (eager loads) applied."""
    total = count(query)
    page, pages = clamp(page, total, per_page)
    rows = db.session.scalars(
        query.options(*options).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return Page(items=list(rows), page=page, pages=pages, total=total, per_page=per_page)


def page_of_list(items: Sequence[T], page: int, per_page: int = PER_PAGE) -> Page[T]:
    """Page ``page`` of a list already in memory (files on disk, rows ordered in Python)."""
    page, pages = clamp(page, len(items), per_page)
    start = (page - 1) * per_page
    return Page(
        items=list(items[start : start + per_page]),
        page=page,
        pages=pages,
        total=len(items),
        per_page=per_page,
    )
