from django.urls import path

from kapcare.dosing import entry_views, live_views, record_views, review_views, views

app_name = "dosing"

S = "sessions/<int:session_id>/"

urlpatterns = [
    path("", views.tab, name="tab"),
    path("orders/", views.order_new, name="order_new"),
    path("orders/<int:order_id>/cancel/", views.order_cancel, name="order_cancel"),
    path("sessions/", views.schedule, name="schedule"),
    path(S, live_views.live, name="live"),
    path(S + "panel/", live_views.panel, name="panel"),
    path(S + "check-in/", live_views.check_in, name="check_in"),
    path(S + "checks/", live_views.pre_dose_checks, name="checks"),
    path(S + "checks/<int:check_id>/clear/", live_views.clear_check, name="clear_check"),
    path(S + "review/", review_views.ask_review, name="ask_review"),
    path(S + "review/<int:request_id>/", review_views.review, name="review"),
    path(S + "measures/<slug:code>/", entry_views.pre_dose_measure, name="pre_dose_measure"),
    path(S + "administer/", live_views.administer, name="administer"),
    path(S + "end-dosing/", live_views.end_dosing, name="end_dosing"),
    path(S + "vitals/", entry_views.vitals, name="vitals"),
    path(
        S + "readings/<int:vital_id>/acknowledge/",
        entry_views.acknowledge_reading,
        name="acknowledge_reading",
    ),
    path(S + "dissociation/", entry_views.dissociation, name="dissociation"),
    path(S + "note/", entry_views.note, name="note"),
    path(S + "adverse-events/", live_views.adverse_event, name="adverse_event"),
    path(S + "waste/", live_views.waste, name="waste"),
    path(S + "discharge/", live_views.discharge, name="discharge"),
    path(S + "abort/", live_views.abort, name="abort"),
    path(S + "rems/", live_views.rems, name="rems"),
    path(S + "record.pdf", record_views.session_record, name="record_pdf"),
    path(S + "rems.pdf", record_views.rems_record, name="rems_pdf"),
]
