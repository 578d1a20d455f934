"""PDF versions of the ledger reports, rendered with WeasyPrint from simple templates.

Nothing is fetched while rendering (no URLs, no files): the stylesheet is read here and every
other resource is refused, so text typed into the ledger cannot make the server load anything.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.http import HttpResponse
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from kapcare.core.downloads import set_download_name

STYLESHEET = Path(__file__).resolve().parent / "static" / "ledger" / "ledger-pdf.css"


def _no_fetching() -> URLFetcher:
    return URLFetcher(allowed_protocols=())


@cache
def _stylesheet_text() -> str:
    return STYLESHEET.read_text()


def render_pdf(template: str, context: dict) -> bytes:
    html = render_to_string(template, context)
    css = CSS(string=_stylesheet_text(), url_fetcher=_no_fetching())
    return HTML(string=html, url_fetcher=_no_fetching()).write_pdf(stylesheets=[css])


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    return set_download_name(response, filename, attachment=False)
