from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import path

from catalogue import (
    alerts,
    datapackage,
    feeds,
    languages,
    openapi,
    opendata,
    practice,
    releases,
    sitemaps,
    submission,
    views,
)

# The pages people read, in English at their usual addresses and in Welsh under /cy/. Data,
# downloads, feeds and the admin have one address each: their content does not change with the
# reader's language (the API's vocabulary labels follow `lang` or Accept-Language instead).

urlpatterns = i18n_patterns(
    path("", views.home, name="home"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<slug:slug>/", views.case_detail, name="case_detail"),
    path("matrix/", views.matrix, name="matrix"),
    path("guide/", views.guide, name="guide"),
    path("match/", practice.match, name="match"),
    path("compare/", practice.compare, name="compare"),
    path("evidence/", views.evidence_map, name="evidence_map"),
    path("cases/<slug:slug>/report/", submission.report_problem, name="report_problem"),
    path("submit/", submission.submit_start, name="submit_start"),
    path("submit/restart/", submission.submit_restart, name="submit_restart"),
    path("submit/check/", submission.submit_check, name="submit_check"),
    path("submit/done/", submission.submit_done, name="submit_done"),
    path("submit/outside/", submission.submit_outside, name="submit_outside"),
    path("submit/<slug:step>/", submission.submit_step, name="submit_step"),
    path("track/<str:token>/", submission.track, name="track"),
    path("track/<str:token>/edit/", submission.track_edit, name="track_edit"),
    path("alerts/new/", alerts.alert_new, name="alert_new"),
    path("alerts/sent/", alerts.alert_sent, name="alert_sent"),
    path("alerts/confirm/<str:token>/", alerts.alert_confirm, name="alert_confirm"),
    path("alerts/unsubscribe/<str:token>/", alerts.alert_unsubscribe, name="alert_unsubscribe"),
    path("api/", opendata.api_docs, name="api_docs"),
    path("codebook/", opendata.codebook, name="codebook"),
    path("data/", releases.data_page, name="data_page"),
    prefix_default_language=False,
)

urlpatterns += [
    path("cases/<slug:slug>/cite.bib", views.case_cite, {"fmt": "bib"}, name="case_cite_bib"),
    path("cases/<slug:slug>/cite.ris", views.case_cite, {"fmt": "ris"}, name="case_cite_ris"),
    path("cases/<slug:slug>/cite.json", views.case_cite, {"fmt": "json"}, name="case_cite_json"),
    path(
        "cases/<slug:slug>/sources.bib",
        views.case_sources_cite,
        {"fmt": "bib"},
        name="case_sources_bib",
    ),
    path(
        "cases/<slug:slug>/sources.ris",
        views.case_sources_cite,
        {"fmt": "ris"},
        name="case_sources_ris",
    ),
    path(
        "cases/<slug:slug>/sources.json",
        views.case_sources_cite,
        {"fmt": "json"},
        name="case_sources_json",
    ),
    path("compare/cases.csv", practice.compare_csv, name="compare_csv"),
    path("cases.csv", opendata.cases_csv, name="cases_csv"),
    path("cases.json", opendata.cases_json, name="cases_json"),
    path("api/openapi.json", openapi.openapi_json, name="openapi_json"),
    path("api/cases/", opendata.api_cases, name="api_cases"),
    path("api/cases/<slug:slug>/", opendata.api_case, name="api_case"),
    path("data/releases/<str:name>/<str:filename>", releases.release_file, name="release_file"),
    path("datapackage.json", datapackage.datapackage_json, name="datapackage_json"),
    path("feeds/cases/", feeds.CasesFeed(), name="feed"),
    path("sitemap.xml", sitemaps.sitemap, name="sitemap"),
    path("sitemap-<slug:section>.xml", sitemaps.sitemap_section, name="sitemap_section"),
    path("robots.txt", sitemaps.robots_txt, name="robots_txt"),
    path("admin/", admin.site.urls),
    path("language/<str:code>/", languages.switch_language, name="switch_language"),
]

if settings.BENCHMARK:  # `make bench` only: the baseline pages it compares with
    from bench import baselines

    urlpatterns += baselines.urlpatterns
