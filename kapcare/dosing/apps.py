from django.apps import AppConfig


class DosingConfig(AppConfig):
    name = "kapcare.dosing"
    label = "dosing"

    def ready(self) -> None:
        # Pre-dose checks, dose order and stock join the pathway gates in front of every dose.
        from kapcare.dosing.gates import register

        register()
        # Withdrawal of consent stops a session not yet dosed (see consent_withdrawal).
        from kapcare.dosing.services import consent_withdrawal

        consent_withdrawal.register()
        # Measures plans its before-each-dose questionnaires around the course's sessions.
        from kapcare.dosing import dose_plan

        dose_plan.register()
        # Courses, the ledger and measures name a dosing session by its id; dosing says which
        # sessions a course has and what each is called.
        from kapcare.dosing import session_directory

        session_directory.register()
