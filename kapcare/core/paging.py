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
