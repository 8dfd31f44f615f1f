"""The e-account's profile pages: contacts and notification preferences (mounted under
/eaccount/profile/)."""


app_name = "profile"
urlpatterns: list = []
