"""The default contraindication rules, each citing ../shared/clinical/FACTS.md.

Each clinic starts with these as screening protocol version 1 and can publish its own versions;
every eligibility decision records the version it used.
"""

BENZODIAZEPINES = [
    "alprazolam",
    "lorazepam",
    "clonazepam",
    "diazepam",
    "temazepam",
    "oxazepam",
    "chlordiazepoxide",
    "triazolam",
    "xanax",
    "ativan",
    "klonopin",
    "valium",
    "restoril",
]
LAMOTRIGINE = ["lamotrigine", "lamictal"]
CNS_DEPRESSANTS = [
    "oxycodone",
    "hydrocodone",
    "morphine",
    "codeine",
    "tramadol",
    "fentanyl",
    "methadone",
    "buprenorphine",
    "hydromorphone",
    "gabapentin",
    "pregabalin",
    "zolpidem",
    "eszopiclone",
    "zaleplon",
    "ambien",
    "lunesta",
    "diphenhydramine",
    "hydroxyzine",
    "promethazine",
]
STIMULANTS = [
    "amphetamine",
    "lisdexamfetamine",
    "methylphenidate",
    "modafinil",
    "armodafinil",
    "adderall",
    "vyvanse",
    "ritalin",
    "concerta",
    "provigil",
    "nuvigil",
]
MAOIS = [
    "phenelzine",
    "tranylcypromine",
    "isocarboxazid",
    "selegiline",
    "nardil",
    "parnate",
    "marplan",
    "emsam",
]
OTHER_NMDA = ["memantine", "dextromethorphan", "namenda", "auvelity"]
NALTREXONE = ["naltrexone", "vivitrol", "contrave"]
CYP_MODIFIERS = ["rifampicin", "rifampin", "carbamazepine", "clarithromycin", "ticlopidine"]
THEOPHYLLINES = ["theophylline", "aminophylline"]


def _has(key: str) -> dict:
    return {"condition_present": key}


def _rule(key, label, kind, condition, rationale, source, override_allowed=False) -> dict:
    return {
        "key": key,
        "label": label,
        "kind": kind,
        "condition": condition,
        "rationale": rationale,
        "source": source,
        "override_allowed": override_allowed,
    }


A, R, INFO = "absolute", "relative", "informational"

DEFAULT_RULES: list[dict] = [
    _rule(
        "aneurysm_avm",
        "Aneurysmal vascular disease or AVM",
        A,
        _has("aneurysm_avm"),
        "Ketamine raises blood pressure; the esketamine label contraindicates it in aneurysmal "
        "vascular disease or arteriovenous malformation.",
        "FACTS.md §3.1 (Spravato USPI) [V]",
    ),
    _rule(
        "intracerebral_haemorrhage",
        "History of intracerebral haemorrhage",
        A,
        _has("intracerebral_haemorrhage"),
        "Label contraindication: a blood-pressure rise risks re-bleeding.",
        "FACTS.md §3.1 (Spravato USPI) [V]",
    ),
    _rule(
        "ketamine_hypersensitivity",
        "Hypersensitivity to ketamine or esketamine",
        A,
        _has("ketamine_hypersensitivity"),
        "Label contraindication.",
        "FACTS.md §3.1, §3.2 Allergy [V]",
    ),
    _rule(
        "unstable_cardiovascular",
        "Unstable cardiovascular disease or recent stroke",
        A,
        {"any": [_has("unstable_cardiac"), _has("recent_stroke")]},
        "Consensus statements exclude unstable angina, recent MI, decompensated heart failure, "
        "significant arrhythmia and recent stroke.",
        "FACTS.md §3.2 Cardiovascular (Sanacora 2017; CANMAT 2021) [K]",
    ),
    _rule(
        "bp_very_high",
        "Baseline blood pressure ≥ 180/110",
        A,
        {
            "any": [
                {"field": "baseline_systolic", "op": ">=", "value": 180},
                {"field": "baseline_diastolic", "op": ">=", "value": 110},
            ]
        },
        "Very high blood pressure must be treated before ketamine; re-measure and re-screen "
        "once controlled.",
        "FACTS.md §3.2 Cardiovascular; §7 item 7 (180/110 common practice) [?]",
        override_allowed=True,
    ),
    _rule(
        "bp_elevated",
        "Baseline blood pressure above 140/90",
        R,
        {
            "any": [
                {"field": "baseline_systolic", "op": ">", "value": 140},
                {"field": "baseline_diastolic", "op": ">", "value": 90},
            ],
        },
        "Ketamine raises blood pressure transiently; the esketamine label gives 140/90 as an "
        "elevated baseline to address first.",
        "FACTS.md §3.2 Cardiovascular (Spravato label example 140/90) [V]",
    ),
    _rule(
        "raised_icp",
        "Raised intracranial pressure, recent head injury or intracranial mass",
        R,
        _has("raised_icp"),
        "Ketamine may raise intracranial pressure; modern data are weaker, so review rather "
        "than exclude.",
        "FACTS.md §3.2 Neurological [K][?]",
    ),
    _rule(
        "pregnancy",
        "Pregnant or planning a pregnancy",
        A,
        {"field": "pregnancy_status", "op": "in", "value": ["pregnant", "planning"]},
        "Possible embryo-fetal toxicity; insufficient safety data.",
        "FACTS.md §3.2 Pregnancy (Spravato label) [V]",
    ),
    _rule(
        "breastfeeding",
        "Breastfeeding",
        R,
        {"field": "pregnancy_status", "op": "in", "value": ["breastfeeding"]},
        "Breastfeeding is not recommended during treatment.",
        "FACTS.md §3.2 Pregnancy (lactation) [V]",
    ),
    _rule(
        "pregnancy_unknown",
        "Pregnancy status not known",
        INFO,
        {"field": "pregnancy_status", "op": "in", "value": ["unknown"]},
        "Confirm before dosing; a pregnancy test may be part of the pre-dose checks.",
        "FACTS.md §3.2 Pregnancy, §4.3",
    ),
    _rule(
        "psychosis_current",
        "Current psychosis",
        A,
        _has("psychosis_current"),
        "Ketamine can worsen psychosis; trials excluded it.",
        "FACTS.md §3.2 Psychosis (Sanacora 2017) [K]",
    ),
    _rule(
        "psychotic_disorder_history",
        "History of a primary psychotic disorder",
        R,
        _has("psychotic_disorder_history"),
        "Caution advised; many protocols exclude.",
        "FACTS.md §3.2 Psychosis [K]",
    ),
    _rule(
        "mania_current",
        "Current mania or hypomania",
        A,
        _has("mania_current"),
        "Ketamine may precipitate or worsen mania.",
        "FACTS.md §3.2 Mania [K]",
    ),
    _rule(
        "bipolar_disorder",
        "Bipolar disorder (not currently manic)",
        R,
        _has("bipolar_disorder"),
        "Bipolar depression was treated in trials; needs prescriber review.",
        "FACTS.md §3.2 Mania [K]",
    ),
    _rule(
        "ketamine_misuse",
        "Misuse of ketamine, PCP or dissociatives",
        A,
        _has("ketamine_misuse"),
        "Ketamine has abuse liability (boxed warning for esketamine).",
        "FACTS.md §3.2 Substance use [V][K]",
    ),
    _rule(
        "substance_use_disorder",
        "Active substance use disorder",
        R,
        _has("substance_use_disorder_active"),
        "Careful assessment of substance use history is advised.",
        "FACTS.md §3.2 Substance use (Sanacora 2017) [K]",
    ),
    _rule(
        "substance_use_reported",
        "Substance use reported at intake",
        INFO,
        {"field": "substance_use", "op": "present"},
        "Shown so the prescriber can read what the client reported.",
        "FACTS.md §3.2 Substance use",
    ),
    _rule(
        "hepatic_impairment",
        "Significant hepatic impairment",
        R,
        _has("hepatic_impairment"),
        "Ketamine is metabolised by the liver; repeated use is linked to cholestatic injury.",
        "FACTS.md §3.2 Hepatic [K]",
    ),
    _rule(
        "cystitis",
        "Ketamine-associated or interstitial cystitis",
        R,
        _has("cystitis"),
        "Label warning for urinary tract effects.",
        "FACTS.md §3.2 Urological [K]",
    ),
    _rule(
        "hyperthyroidism",
        "Uncontrolled hyperthyroidism",
        R,
        _has("hyperthyroidism"),
        "Sympathomimetic effects add to thyrotoxicosis.",
        "FACTS.md §3.2 Endocrine [K][?]",
    ),
    _rule(
        "airway_risk",
        "Respiratory disease, sleep apnoea or severe obesity",
        R,
        {"any": [_has("respiratory_disease"), _has("sleep_apnoea"), _has("severe_obesity")]},
        "Airway and breathing risk, especially with IV or IM dosing.",
        "FACTS.md §3.2 Respiratory [K]",
    ),
    _rule(
        "dementia",
        "Dementia or significant cognitive impairment",
        R,
        _has("dementia"),
        "Cognitive effects and capacity to consent need review.",
        "FACTS.md §3.2 Cognitive [K]",
    ),
    _rule(
        "under_18",
        "Under 18",
        A,
        {"field": "age", "op": "<", "value": 18},
        "Not approved in under-18s by default.",
        "FACTS.md §3.2 Age (Spravato: not approved in paediatrics) [V]",
    ),
    _rule(
        "age_65_plus",
        "Aged 65 or over",
        R,
        {"field": "age", "op": ">=", "value": 65},
        "Older clients have larger blood-pressure rises.",
        "FACTS.md §3.2 Age (Gen Hosp Psychiatry 2024) [V]",
    ),
    _rule(
        "suicide_risk_high",
        "High acute suicide risk",
        R,
        {"field": "suicide_risk", "op": "in", "value": ["high"]},
        "Needs a higher level of care; ketamine is not a substitute for crisis care.",
        "FACTS.md §3.2 Suicidality [K]",
    ),
    _rule(
        "suicide_risk_moderate",
        "Moderate suicide risk",
        INFO,
        {"field": "suicide_risk", "op": "in", "value": ["moderate"]},
        "Shown so the safety plan and monitoring reflect it.",
        "FACTS.md §3.2 Suicidality, §8",
    ),
    _rule(
        "benzodiazepines",
        "Takes a benzodiazepine",
        R,
        {"medication_matches": BENZODIAZEPINES},
        "May attenuate response and adds sedation; many protocols hold the evening-before and "
        "morning-of dose.",
        "FACTS.md §3.3 Benzodiazepines [K][?]",
    ),
    _rule(
        "lamotrigine",
        "Takes lamotrigine",
        R,
        {"medication_matches": LAMOTRIGINE},
        "May blunt ketamine's effects; some protocols hold the day-of dose.",
        "FACTS.md §3.3 Lamotrigine [K][?]",
    ),
    _rule(
        "cns_depressants",
        "Takes another CNS depressant",
        R,
        {"medication_matches": CNS_DEPRESSANTS},
        "Additive sedation and respiratory depression; no alcohol on dosing days.",
        "FACTS.md §3.3 Other CNS depressants [V]",
    ),
    _rule(
        "stimulants",
        "Takes a psychostimulant",
        R,
        {"medication_matches": STIMULANTS},
        "Additive blood-pressure rise; often hold the morning dose.",
        "FACTS.md §3.3 Psychostimulants [K]",
    ),
    _rule(
        "maois",
        "Takes an MAOI",
        R,
        {"medication_matches": MAOIS},
        "Additive blood-pressure rise: monitor closely.",
        "FACTS.md §3.3 MAOIs [K]",
    ),
    _rule(
        "naltrexone",
        "Takes naltrexone",
        R,
        {"medication_matches": NALTREXONE},
        "Opioid blockade may attenuate the effect (evidence mixed).",
        "FACTS.md §3.3 Naltrexone [K][?]",
    ),
    _rule(
        "other_nmda",
        "Takes another NMDA antagonist",
        R,
        {"medication_matches": OTHER_NMDA},
        "Additive NMDA-antagonist effects.",
        "FACTS.md §3.3 Memantine, dextromethorphan [K][?]",
    ),
    _rule(
        "cyp_modifiers",
        "Takes a strong CYP3A4/2B6 inducer or inhibitor",
        R,
        {"medication_matches": CYP_MODIFIERS},
        "Altered ketamine exposure, mainly by mouth.",
        "FACTS.md §3.3 CYP3A4/2B6 [K][?]",
    ),
    _rule(
        "theophylline",
        "Takes theophylline or aminophylline",
        R,
        {"medication_matches": THEOPHYLLINES},
        "Lower seizure threshold with ketamine.",
        "FACTS.md §3.3 Theophylline [K][?]",
    ),
]
