from django.contrib import admin
from django.urls import path

from catalogue import views

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<slug:slug>/", views.case_detail, name="case_detail"),
    path("matrix/", views.matrix, name="matrix"),
    path("guide/", views.guide, name="guide"),
    path("admin/", admin.site.urls),
]
