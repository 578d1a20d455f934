"""PDF documents of a session, made with WeasyPrint from a template and one stylesheet."""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher


def render_pdf(template: str, context: dict) -> bytes:
    html = render_to_string(template, context)
    # Only inline (data:) images such as the chart: a record never makes the server fetch a URL.
    fetcher = URLFetcher(allowed_protocols={"data"})
    stylesheet = CSS(string=Path(finders.find("dosing/pdf.css")).read_text(), url_fetcher=fetcher)
    return HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[stylesheet])
