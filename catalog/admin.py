"""The Dataset admin lives in `insights/admin.py`: its lifecycle actions (retire, restore, remove)
also touch the survey data, which the catalog (a lower layer) does not reach."""
