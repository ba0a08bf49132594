"""Pages for near misses and concerns, mounted under the language prefix at
/<lang>/reports/."""

from django.urls import URLPattern, URLResolver, path

from hotwash.reports import views

app_name = "reports"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.report_list, name="list"),
    path("new/", views.file_report, name="file"),
    path("mine/", views.my_reports, name="mine"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/comments/", views.add_comment, name="comment"),
    path("<int:pk>/close/", views.close_report, name="close"),
    path("<int:pk>/retrospective/", views.to_retrospective, name="retrospective"),
    path("<int:pk>/incident/", views.to_incident, name="incident"),
]
