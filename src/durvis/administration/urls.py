from django.urls import path

from durvis.administration import home, integrations, team, views, webhook_views

app_name = "administration"
urlpatterns = [
    path("staff/", home.home, name="home"),
    path("staff/cases/", home.cases, name="cases"),
    path("staff/cases/<str:number>/", home.case, name="case"),
    path("administration/services/", views.service_list, name="services"),
    path("administration/services/new/", views.service_create, name="service-create"),
    path("administration/services/<int:code>/", views.service_edit, name="service-edit"),
    path("administration/integrations/", integrations.overview, name="integrations"),
    path("administration/integrations/clients/", integrations.create_client,
         name="api-client-create"),
    path("administration/integrations/shown-once/<str:ticket>/", integrations.shown_once,
         name="shown-once"),
    path("administration/integrations/clients/<int:client_id>/deactivate/",
         integrations.deactivate_client, name="api-client-deactivate"),
    path("administration/integrations/webhooks/", integrations.create_webhook,
         name="webhook-create"),
    path("administration/integrations/webhooks/<int:endpoint_id>/", webhook_views.detail,
         name="webhook"),
    path("administration/integrations/webhooks/<int:endpoint_id>/test/", webhook_views.send_test,
         name="webhook-test"),
    path("administration/integrations/webhooks/<int:endpoint_id>/rotate-secret/",
         webhook_views.rotate_secret, name="webhook-rotate-secret"),
    path("administration/integrations/webhooks/<int:endpoint_id>/delete/",
         webhook_views.delete, name="webhook-delete"),
    path("administration/integrations/outbox/<int:message_id>/replay/", integrations.replay,
         name="outbox-replay"),
    path("administration/integrations/status-mappings/", integrations.map_status,
         name="status-mapping-create"),
    path("administration/integrations/status-mappings/<int:mapping_id>/delete/",
         integrations.delete_mapping, name="status-mapping-delete"),
    path("staff/team/", team.team, name="team"),
    path("staff/team/<int:member_id>/reset-second-factor/", team.reset_second_factor,
         name="team-reset-second-factor"),
]
