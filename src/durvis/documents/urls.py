"""Pages of the e-account's documents section (mounted under /eaccount/)."""


app_name = "documents"
urlpatterns: list = []
