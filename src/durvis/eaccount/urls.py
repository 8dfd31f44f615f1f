"""The client's e-account (A2, C3), mounted under /eaccount/."""

from django.urls import path

from durvis.eaccount import appointments, data_use, handoff, invoices, mandates, views

app_name = "eaccount"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("history/", views.history, name="history"),
    path("cases/<str:number>/", views.case_detail, name="case"),
    path("cases/<str:number>/feedback/", views.case_feedback, name="case-feedback"),
    path("consultations/<int:pk>/feedback/", views.consultation_feedback,
         name="consultation-feedback"),
    path("invoices/", invoices.invoice_list, name="invoices"),
    path("invoices/<str:number>/", invoices.invoice_detail, name="invoice"),
    path("mandates/", mandates.mandate_list, name="mandates"),
    path("mandates/grant/", mandates.grant, name="mandate-grant"),
    path("mandates/request/", mandates.request_mandate, name="mandate-request"),
    path("mandates/<int:pk>/", mandates.mandate_detail, name="mandate"),
    path("mandates/<int:pk>/revoke/", mandates.revoke, name="mandate-revoke"),
    path("appointments/", appointments.appointment_list, name="appointments"),
    path("appointments/book/<int:pk>/", appointments.book, name="appointment-book"),
    path("appointments/<int:pk>/move/", appointments.move, name="appointment-move"),
    path("appointments/<int:pk>/cancel/", appointments.cancel, name="appointment-cancel"),
    path("appointments/<int:pk>/appointment.ics", appointments.download_ics,
         name="appointment-ics"),
    path("data-use/", data_use.data_use, name="data-use"),
    path("role/", views.switch_role, name="switch-role"),
    path("services/<int:code>/apply-at-holder/", handoff.start, name="handoff"),
]
