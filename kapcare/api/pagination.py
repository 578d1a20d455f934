"""Cursor pagination: stable pages however many rows are added while a client walks them, and
no OFFSET scans at 100,000 clients."""

from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"
