"""FHIR errors: every failure an API client sees is an OperationOutcome with the right status."""

from __future__ import annotations

ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    410: "deleted",
    413: "too-costly",
    415: "not-supported",
    422: "business-rule",
    429: "throttled",
}


def operation_outcome(issues: list[dict]) -> dict:
    return {"resourceType": "OperationOutcome", "issue": issues}


def issue(code: str, diagnostics: str, *, severity: str = "error", expression: str = "") -> dict:
    entry = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        entry["expression"] = [expression]
    return entry


class FhirError(Exception):
    """Raised anywhere under a FHIR view; kapcare.fhir.http turns it into the response.

    `problems` lists (diagnostics, expression) pairs when one request has several (a
    QuestionnaireResponse with three bad answers names all three)."""

    def __init__(
        self,
        status: int,
        diagnostics: str,
        *,
        code: str = "",
        expression: str = "",
        problems: list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(diagnostics)
        self.status = status
        self.code = code or ISSUE_CODES.get(status, "processing")
        self.problems = problems or [(diagnostics, expression)]
        self.headers = headers or {}

    def outcome(self) -> dict:
        return operation_outcome(
            [issue(self.code, text, expression=where) for text, where in self.problems]
        )
