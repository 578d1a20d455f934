from django.urls import path

from kapcare.ledger import count_views, movement_views, report_views, setup_views, views

app_name = "ledger"

urlpatterns = [
    path("", views.home, name="home"),
    path("entries/", views.entries, name="entries"),
    path("entries/<int:entry_id>/", views.entry_detail, name="entry"),
    path("entries/<int:entry_id>/correct/", movement_views.correct, name="correct"),
    path("lots/", views.lots, name="lots"),
    path("lots/<int:lot_id>/", views.lot_detail, name="lot"),
    path("lots/<int:lot_id>/history.<str:fmt>", report_views.lot_export, name="lot_export"),
    path("receive/", movement_views.receive, name="receive"),
    path("transfer/", movement_views.transfer, name="transfer"),
    path("waste/", movement_views.waste, name="waste"),
    path("dispose/", movement_views.dispose, name="dispose"),
    path("losses/", movement_views.losses, name="losses"),
    path("losses/new/", movement_views.loss_new, name="loss_new"),
    path("losses/<int:report_id>/", movement_views.loss_detail, name="loss"),
    path("counts/", count_views.counts, name="counts"),
    path("counts/new/", count_views.count_new, name="count_new"),
    path("counts/inventory/", count_views.inventory_new, name="inventory_new"),
    path("counts/<int:count_id>/", count_views.count_detail, name="count"),
    path("counts/<int:count_id>/report.<str:fmt>", report_views.count_export, name="count_export"),
    path("cases/<int:case_id>/", count_views.case_detail, name="case"),
    path("reports/", report_views.index, name="reports"),
    path("reports/period/", report_views.period, name="period"),
    path("reports/period.<str:fmt>", report_views.period_export, name="period_export"),
    path("reports/clients/<int:client_id>/", report_views.client_report, name="client_report"),
    path(
        "reports/clients/<int:client_id>/administrations.<str:fmt>",
        report_views.client_export,
        name="client_export",
    ),
    path("setup/", setup_views.setup, name="setup"),
    path("setup/products/new/", setup_views.product_edit, name="product_new"),
    path("setup/products/<int:product_id>/", setup_views.product_edit, name="product_edit"),
    path("setup/locations/new/", setup_views.location_edit, name="location_new"),
    path("setup/locations/<int:location_id>/", setup_views.location_edit, name="location_edit"),
]
