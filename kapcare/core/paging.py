"""Helpers for paginated list pages, and for the bounded summaries that link to them."""

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import HttpRequest


def query_without_page(request: HttpRequest) -> str:
    """The request's filters as a query string, minus `page`, for the pager's links (and for
    exports that should take the same filters)."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@dataclass
class Section:
    """The first rows of a list and how many there are in all: a summary page's bounded view
    of a list whose full length lives on a paginated page ("see all")."""

    rows: list = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> bool:
        return self.total > len(self.rows)

    def __bool__(self) -> bool:
        return self.total > 0

    def __iter__(self):
        return iter(self.rows)


def first_rows(queryset: QuerySet, rows: int) -> Section:
    """The first `rows` of an ordered queryset and its COUNT: two queries whatever its size."""
    return Section(rows=list(queryset[:rows]), total=queryset.count())


@dataclass
class UncountedPage:
    """One page of a list too long to count on every visit (the audit trail: a COUNT(*) over a
    clinic's million events cost more than the page). It knows whether another page follows
    from one extra row, so the pager offers "Previous" and "Next" but no "of N"."""

    object_list: list
    number: int
    per_page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.object_list)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


# A typed page number beyond this is taken as this one (an OFFSET must stay a sane number; a
# list that long is read by its filters or its export, not fifty rows at a time).
MAX_UNCOUNTED_PAGE = 100_000


def uncounted_page(queryset: QuerySet, per_page: int, number: str | int | None) -> UncountedPage:
    """Page `number` (1 when missing or not a positive whole number) of an ordered queryset, in
    one query of `per_page + 1` rows. A page past the end is empty and links back."""
    try:
        page = min(max(1, int(number or 1)), MAX_UNCOUNTED_PAGE)
    except (TypeError, ValueError):
        page = 1
    start = (page - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    return UncountedPage(
        object_list=rows[:per_page], number=page, per_page=per_page, has_next=len(rows) > per_page
    )
