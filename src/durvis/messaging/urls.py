"""Pages of the e-account's messaging section (mounted under /eaccount/)."""


app_name = "inbox"
urlpatterns: list = []
