"""Shared set-up for the FHIR measures tests: the clinic's instruments and posted responses."""

from __future__ import annotations

LOINC = "http://loinc.org"
PHQ9_URL = "urn:kapcare:questionnaire:phq9"
PHQ9_ITEMS = ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5",
              "44253-3", "44260-8"]  # fmt: skip
FREQUENCY = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]


def phq9_response(patient_id: int, scores: list[int], *, how: str = "code", **extra) -> dict:
    """A PHQ-9 QuestionnaireResponse answering items 1–9 with `scores`, each answer given by
    its LOINC code ("code"), only by its itemWeight ("weight") or ordinalValue ("ordinal")
    extension, or as a valueInteger ("integer")."""
    items = []
    for index, score in enumerate(scores, start=1):
        if how == "code":
            answer = {"valueCoding": {"system": LOINC, "code": FREQUENCY[score]}}
        elif how in ("weight", "ordinal"):
            name = "itemWeight" if how == "weight" else "ordinalValue"
            url = f"http://hl7.org/fhir/StructureDefinition/{name}"
            answer = {
                "valueCoding": {
                    "display": "as scored",
                    "extension": [{"url": url, "valueDecimal": score}],
                }
            }
        else:
            answer = {"valueInteger": score}
        items.append({"linkId": str(index), "answer": [answer]})
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": PHQ9_URL,
        "status": "completed",
        "subject": {"reference": f"Patient/{patient_id}"},
        "item": items,
        **extra,
    }
