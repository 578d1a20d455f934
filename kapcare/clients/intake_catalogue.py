"""The history items intake asks about (the facts the contraindication rules read).

The default rules themselves are in kapcare.screening.default_rules."""

from django.utils.translation import gettext_lazy as _

# (key, label, group) — intake shows them grouped as checkboxes.
CONDITIONS: list[tuple[str, str, str]] = [
    (
        "aneurysm_avm",
        _("Aneurysm (aorta, brain or other arteries) or arteriovenous malformation"),
        _("Heart and circulation"),
    ),
    (
        "intracerebral_haemorrhage",
        _("Bleeding in the brain (intracerebral haemorrhage), ever"),
        _("Heart and circulation"),
    ),
    (
        "unstable_cardiac",
        _(
            "Unstable angina, heart attack in the last 6 months, heart failure or significant "
            "arrhythmia"
        ),
        _("Heart and circulation"),
    ),
    ("recent_stroke", _("Stroke in the last 6 months"), _("Heart and circulation")),
    ("hypertension", _("High blood pressure (diagnosed)"), _("Heart and circulation")),
    (
        "raised_icp",
        _("Raised intracranial pressure, recent head injury or a mass in the brain"),
        _("Brain and nerves"),
    ),
    ("seizure_disorder", _("Seizures or epilepsy"), _("Brain and nerves")),
    ("dementia", _("Dementia or significant cognitive impairment"), _("Brain and nerves")),
    (
        "ketamine_hypersensitivity",
        _("Allergic or hypersensitive reaction to ketamine or esketamine"),
        _("Allergies"),
    ),
    ("psychosis_current", _("Current psychosis (hallucinations, delusions)"), _("Mental health")),
    (
        "psychotic_disorder_history",
        _("Schizophrenia, schizoaffective or another psychotic disorder, ever"),
        _("Mental health"),
    ),
    ("mania_current", _("Current mania or hypomania"), _("Mental health")),
    ("bipolar_disorder", _("Bipolar disorder"), _("Mental health")),
    (
        "ketamine_misuse",
        _("Misuse of ketamine, PCP or other dissociatives, ever"),
        _("Substance use"),
    ),
    (
        "substance_use_disorder_active",
        _("Active substance use disorder (alcohol or drugs)"),
        _("Substance use"),
    ),
    ("hepatic_impairment", _("Significant liver disease or cirrhosis"), _("Other organs")),
    ("cystitis", _("Ketamine-associated or interstitial cystitis"), _("Other organs")),
    ("hyperthyroidism", _("Overactive thyroid, not controlled"), _("Other organs")),
    ("respiratory_disease", _("Significant lung or breathing disease"), _("Breathing and airway")),
    ("sleep_apnoea", _("Obstructive sleep apnoea"), _("Breathing and airway")),
    ("severe_obesity", _("Severe obesity (airway risk)"), _("Breathing and airway")),
]
CONDITION_KEYS = frozenset(key for key, _label, _group in CONDITIONS)
