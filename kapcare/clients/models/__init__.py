from kapcare.clients.models.client import CARE_TEAM_ROLES, CareTeamMember, Client, ClientStatus
from kapcare.clients.models.inquiry import ContactMethod, Inquiry, InquiryStatus
from kapcare.clients.models.intake import Intake, PregnancyStatus, SuicideRisk
from kapcare.clients.models.links import ClientLink, LinkPurpose

__all__ = [
    "CARE_TEAM_ROLES",
    "CareTeamMember",
    "Client",
    "ClientLink",
    "ClientStatus",
    "ContactMethod",
    "Inquiry",
    "InquiryStatus",
    "Intake",
    "LinkPurpose",
    "PregnancyStatus",
    "SuicideRisk",
]
