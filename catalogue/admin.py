from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from catalogue.interchange import outcome_text
from catalogue.models import Activity, Case, CoProducer, Outcome, Phase, ServiceArea, Source


class OutcomeInline(admin.TabularInline):
    model = Outcome
    extra = 0
    fields = ["statement", "figure", "benefit_group", "position"]


class SourceInline(admin.StackedInline):
    model = Source
    extra = 0
    fields = ["citation", ("year", "kind"), "url", "locator", "position"]


@admin.register(Case)
class CaseAdmin(SimpleHistoryAdmin):
    list_display = ["title", "status", "planning", "delivery", "evidence_level", "country", "updated_at"]
    list_filter = ["status", "planning", "delivery", "phases", "individual", "collective", "evidence_level", "evidence_confirmed", "service_areas"]
    search_fields = ["title", "summary", "slug", "locality", "lead_organisations"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["service_areas", "co_producers", "phases", "activities"]
    readonly_fields = ["created_at", "updated_at", "submitted_at", "published_at"]
    inlines = [OutcomeInline, SourceInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "description", "status"]}),
        ("Place and time", {"fields": ["country", "locality", "lead_organisations", ("start_year", "end_year", "ongoing")]}),
        ("Classification", {"fields": ["planning", "delivery", "phases", "activities", ("individual", "collective"), "service_areas", "co_producers", "level", "scenario", "driver"]}),
        ("Evidence", {"fields": ["evidence_level", "evidence_direction", "evaluation_design", "independent_evaluation", "evidence_rationale", "evidence_confirmed"]}),
        ("Costs and lessons", {"fields": ["costs", "lessons"]}),
        ("Dates", {"fields": ["created_at", "updated_at", "submitted_at", "published_at"]}),
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        case = form.instance
        case.outcome_text = outcome_text(case.outcomes.all())
        case.save(update_fields=["outcome_text"])


@admin.register(ServiceArea, CoProducer)
class TermAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "description"]
    search_fields = ["name", "slug"]


@admin.register(Phase, Activity)
class FixedTermAdmin(admin.ModelAdmin):
    """Fixed vocabularies are read-only: their slugs are a public contract."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
