"""The README's "Connect another system" runs as written: its `issue_api_token` command line
gives a token, and its fhirpy code blocks run against a live server with that token."""

import re
import shlex
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from kapcare.home.demo import load_demo

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = "## Connect another system"
DEMO_BASE = "http://127.0.0.1:8000"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(HEADING)
    end = text.find("\n## ", start + len(HEADING))
    return text[start : end if end != -1 else None]


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", _section(), flags=re.DOTALL)


def _issue_command() -> list[str]:
    """The arguments of the README's `manage.py issue_api_token` line (continuations joined,
    the `| awk … | tail -1` that takes the token left off)."""
    shell = _blocks("sh")[0].replace("\\\n", " ")
    line = next(line for line in shell.splitlines() if "issue_api_token" in line)
    command = line.split("manage.py issue_api_token", 1)[1].split("|", 1)[0]
    return shlex.split(command)


def _token_from_readme_command() -> str:
    out = StringIO()
    call_command("issue_api_token", *_issue_command(), stdout=out)
    return out.getvalue().split()[-1]  # awk '{print $NF}' | tail -1


@pytest.fixture
def demo_server(transactional_db, live_server, monkeypatch):
    load_demo()
    monkeypatch.setenv("TOKEN", _token_from_readme_command())
    return live_server


def _run(blocks: list[str], base: str) -> dict:
    namespace: dict = {}
    for block in blocks:
        assert DEMO_BASE in block or "client." in block
        exec(compile(block.replace(DEMO_BASE, base), str(README), "exec"), namespace)  # noqa: S102
    return namespace


def test_the_readme_has_the_section_and_its_blocks():
    assert len(_blocks("python")) == 2
    assert _issue_command()[:2] == ["--user", "therapist@demo.kapcare.test"]


def test_the_readme_patient_search_runs_against_the_demo(demo_server, capsys):
    # given the demo and the README's token, when its first fhirpy block runs
    namespace = _run(_blocks("python")[:1], demo_server.url)
    # then it found the demo therapist's client Avery Collins
    assert [p["name"][0]["family"] for p in namespace["patients"]] == ["Collins"]
    assert "Collins" in capsys.readouterr().out


def test_the_readme_questionnaire_response_runs_against_the_demo(demo_server):
    namespace = _run(_blocks("python"), demo_server.url)
    assert namespace["response"].id
    # the total kapcare scored is the nine answers' sum
    assert namespace["total"]["valueQuantity"]["value"] == 6
