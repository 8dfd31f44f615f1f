"""Online payments (A8), mounted under /payments/: the client's start and return, the
provider's callback."""

from django.urls import path

from durvis.payments import views

app_name = "payments"
urlpatterns = [
    path("invoices/<str:number>/pay/", views.start, name="start"),
    path("invoices/<str:number>/return/", views.returned, name="return"),
    path("callback/<str:provider>/", views.callback, name="callback"),
]
