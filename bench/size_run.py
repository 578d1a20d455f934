"""Measure every page at one size: `python -m bench.size_run --size 1000 --out file.json`.

Run by bench/run.py in its own process, because Django is set up here against that size's
database (to pick the records and compute the authenticator codes) while gunicorn serves it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.environment import PASSWORD, server_env  # noqa: E402


def setup_django(size: int) -> None:
    os.environ.update(server_env(size))
    import django

    django.setup()


def signed_in_sessions(base: str, staff: dict[str, int]) -> dict:
    from bench.picking import totp_token
    from bench.signin import sign_in
    from kapcare.accounts.models import User

    sessions = {}
    for role, user_id in staff.items():
        email = User.objects.get(pk=user_id).email
        sessions[role] = sign_in(base, email, PASSWORD, lambda uid=user_id: totp_token(uid))
    return sessions


def token_sessions(staff: dict[str, int]) -> dict:
    """A requests session per role sending a fresh bearer token (user/*.rs) of that user."""
    import requests

    from kapcare.accounts.actor import Actor
    from kapcare.accounts.api_tokens import issue_token
    from kapcare.accounts.models import Membership

    sessions = {}
    for role, user_id in staff.items():
        membership = Membership.objects.filter(user_id=user_id).select_related("user").first()
        if membership is None:
            continue
        _, raw = issue_token(
            actor=Actor.system(membership.clinic),
            user=membership.user,
            scopes="user/*.rs",
            label="bench",
            expires_days=1,
        )
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {raw}"
        sessions[role] = session
    return sessions


def page_url(page, ids: dict) -> str | None:
    from urllib.parse import urlencode

    from django.urls import reverse

    if page.api:
        try:
            return page.path.format(**ids)
        except KeyError:
            return None
    args = [ids.get(name) for name in page.args]
    if any(arg is None for arg in args):
        return None
    url = reverse(page.url_name, args=args)
    if page.query:
        url += "?" + urlencode({k: v.format(**ids) for k, v in page.query.items()})
    return url


def run(size: int, settings) -> dict:
    import requests

    from bench.pages import all_pages
    from bench.picking import pick_client, pick_ids, pick_staff
    from bench.server import running

    client = pick_client()
    ids = pick_ids(client)
    staff = pick_staff(client)
    results: dict = {"size": size, "ids": ids, "staff_roles": sorted(staff), "pages": {}}
    with running(size) as base:
        sessions = signed_in_sessions(base, staff)
        sessions[""] = requests.Session()  # the bare view: no cookies at all
        tokens = token_sessions(staff)
        from bench.measure import measure

        for page in all_pages():
            url = page_url(page, ids)
            session = (tokens if page.api else sessions).get(page.role)
            if url is None or session is None:
                missing = "a seeded user" if session is None else "a seeded record"
                results["pages"][page.label] = {"skipped": f"no {missing} for it"}
                print(f"[{size}] {page.label:34} skipped (no {missing})", flush=True)
                continue
            result = measure(session, base + url, settings, background=page.background)
            result.update(url_name=page.url_name, role=page.role or "anonymous")
            results["pages"][page.label] = result
            if result["p95_ms"] is None:
                print(f"[{size}] {page.label:34} TIMED OUT (over {result['timed_out_after_s']} s)")
                continue
            print(
                f"[{size}] {page.label:34} p50 {result['p50_ms']:8.1f} ms  "
                f"p95 {result['p95_ms']:8.1f} ms  {result['queries_seen']} queries  "
                f"status {result['statuses']}",
                flush=True,
            )
        results["seq_scans_of_big_tables"] = _explain(results, staff, ids, tokens)
        results["outcomes_reference"] = _outcomes(size, client.clinic_id)
    return results


def _explain(results: dict, staff: dict[str, int], ids: dict, tokens: dict) -> dict:
    from bench.explain import explain_pages
    from bench.pages import all_pages

    pages = [
        (
            page.label,
            page_url(page, ids),
            staff.get(page.role, 0),
            _headers(page, tokens),
        )
        for page in all_pages()
        if "url" in results["pages"].get(page.label, {})
    ]
    report = explain_pages([p for p in pages if p[1] is not None])
    for label, findings in report.items():
        for finding in findings:
            print(f"[{results['size']}] {label}: sequential scan of {', '.join(finding['tables'])}")
    return report


def _headers(page, tokens: dict) -> dict:
    from bench.measure import BACKGROUND

    if page.api:
        return {"Authorization": tokens[page.role].headers["Authorization"]}
    return BACKGROUND if page.background else {}


def _outcomes(size: int, clinic_id: int) -> dict:
    from bench.outcomes_reference import compare

    result = compare(clinic_id)
    print(
        f"[{size}] outcomes: dashboard queries p95 {result['dashboard_queries_p95_ms']} ms, "
        f"set-based reference p95 {result['reference_p95_ms']} ms, "
        f"same numbers: {result['same_numbers']}",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    setup_django(args.size)
    from bench.measure import Settings

    results = run(args.size, Settings(requests=args.requests))
    args.out.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
