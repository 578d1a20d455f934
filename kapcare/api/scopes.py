"""The scope each REST endpoint needs. REST resources are named by their FHIR counterparts,
so one token's scopes mean the same on /api/v1/ and /fhir (user/Patient.rs reads clients in
both); the ledger has no FHIR resource and is named LedgerEntry."""

PATIENT = "Patient"
CARE_TEAM = "CareTeam"
EPISODE_OF_CARE = "EpisodeOfCare"
QUESTIONNAIRE = "Questionnaire"
QUESTIONNAIRE_RESPONSE = "QuestionnaireResponse"
SERVICE_REQUEST = "ServiceRequest"  # a measure assignment: "please complete this questionnaire"
FLAG = "Flag"
ENCOUNTER = "Encounter"
LEDGER_ENTRY = "LedgerEntry"

REST_RESOURCES = {
    PATIENT,
    CARE_TEAM,
    EPISODE_OF_CARE,
    QUESTIONNAIRE,
    QUESTIONNAIRE_RESPONSE,
    SERVICE_REQUEST,
    FLAG,
    ENCOUNTER,
    LEDGER_ENTRY,
}
