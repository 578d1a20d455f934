"""The default KAP treatment consent, covering the elements in FACTS.md §6.3. A clinic
publishes its own version (reviewed by its clinicians and counsel) before use."""

DEFAULT_TITLE = "Consent to ketamine-assisted psychotherapy"

DEFAULT_BODY = """\
This document explains ketamine-assisted psychotherapy (KAP) at our clinic. Please read it, ask us anything that is unclear, and sign only if you agree.

1. What the treatment is
KAP combines psychotherapy with low doses of ketamine. It has three phases: preparation sessions with your therapist; ketamine sessions, during which a therapist stays with you and clinical staff monitor your blood pressure, heart rate, oxygen level and comfort; and integration sessions afterwards to make sense of the experience.

2. Off-label use
Racemic ketamine is approved by the FDA as an anaesthetic, not for depression, anxiety, PTSD or OCD; using it for these conditions is "off-label". Esketamine nasal spray (Spravato) is approved only for treatment-resistant depression and for depressive symptoms with acute suicidal thoughts. Research shows short-term benefit for many people, but how long benefits last and the long-term safety are not fully known, and symptoms often return without further treatment.

3. What you may feel during a session
Feeling detached from your body or surroundings (dissociation), changes in vision, sound and sense of time, dreamlike or sometimes distressing experiences, nausea or vomiting, dizziness, sleepiness, and a temporary rise in blood pressure and heart rate.

4. Serious and longer-term risks
Rarely: a large rise in blood pressure, slowed breathing (more likely with alcohol, opioids, benzodiazepines or other sedatives), an allergic reaction, or distressing reactions as the medicine wears off. Ketamine can worsen psychosis or mania. With frequent or heavy use: misuse and dependence, tolerance, bladder problems (cystitis), liver effects and memory problems. We will keep asking about your mood and any thoughts of suicide.

5. Pregnancy and breastfeeding
Ketamine may harm an unborn baby. Use reliable contraception during treatment and tell us at once if you may be pregnant; we may ask for a pregnancy test before a session. Breastfeeding is not recommended during treatment.

6. On the day of a session
Follow the fasting and medication instructions you are given (some medicines, such as benzodiazepines, lamotrigine and stimulants, may be held). Do not drink alcohol or take sedatives or recreational drugs. An adult must take you home. Do not drive, cycle or operate machinery until the next day after a restful night's sleep. Do not make important decisions or sign legal documents that day, and have a responsible adult with you for the rest of the day.

7. Monitoring and emergencies
Staff check your vital signs before, during and after the dose, and you leave only when discharge criteria are met. Staff may stop a session for your safety, give medicines to treat side effects, and call emergency services or arrange transfer to hospital if needed.

8. Touch and recording
No one will touch you without your agreement, and no session is recorded unless you separately agree in writing. You can change either choice at any time.

9. Controlled substance
Ketamine is a Schedule III controlled substance with potential for misuse. It is given only in the clinic under supervision. Sharing or diverting it is illegal.

10. Your right to stop
You may withdraw your consent and stop treatment at any time, without affecting your other care. Withdrawal takes effect immediately. Your clinician may also stop or pause treatment for your safety.

11. Costs
Off-label treatment is often not covered by insurance. We will give you the fees in writing before you start.

By signing you confirm that you have read this document, had the chance to ask questions, and agree to ketamine-assisted psychotherapy on these terms.
"""
