from django.urls import path

from audit import views

app_name = "audit"
urlpatterns = [
    path("export.csv", views.export_csv, name="export-csv"),
    path("export.jsonl", views.export_jsonl, name="export-jsonl"),
]
