"""The editors' workspace: a queue of what is waiting, moderation actions, history."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django_countries import countries
from simple_history.admin import SimpleHistoryAdmin

from catalogue import services
from catalogue import vocabulary as v
from catalogue.models import (
    Activity,
    Case,
    CoProducer,
    ModerationEvent,
    Outcome,
    Phase,
    ProblemReport,
    ServiceArea,
    Source,
)

WAITING = "waiting"

admin.site.site_header = "Co-production Case Catalogue: editors"
admin.site.site_title = "Co-production Case Catalogue editors"
admin.site.index_title = "Editors' workspace"
admin.site.site_url = "/"
# The app list beside every page would squeeze the case list's columns at 1366 px.
admin.site.enable_nav_sidebar = False


class QueueFilter(admin.SimpleListFilter):
    """Opens on what is waiting for an editor's decision."""

    title = "status"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        # "Waiting for a decision" is the submitted status, so it is not listed twice.
        others = [
            (value, label) for value, label in v.Status.choices if value != v.Status.SUBMITTED
        ]
        return [(WAITING, "Waiting for a decision"), *others, ("all", "All")]

    def value(self):
        return super().value() or WAITING

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == WAITING:
            return queryset.filter(status=v.Status.SUBMITTED)
        if self.value() in v.Status.values:
            return queryset.filter(status=self.value())
        return queryset


class CountryFilter(admin.SimpleListFilter):
    """Only the countries that cases have, not all 249."""

    title = "country"
    parameter_name = "country"

    def lookups(self, request, model_admin):
        codes = Case.objects.order_by().values_list("country", flat=True).distinct()
        return sorted(((code, countries.name(code)) for code in codes), key=lambda item: item[1])

    def queryset(self, request, queryset):
        return queryset.filter(country=self.value()) if self.value() else queryset


class OutcomeInline(admin.TabularInline):
    model = Outcome
    extra = 0
    fields = ["statement", "figure", "benefit_group", "position"]


class SourceInline(admin.StackedInline):
    model = Source
    extra = 0
    fields = ["citation", ("year", "kind"), "url", "locator", "position"]


class ModerationEventInline(admin.TabularInline):
    model = ModerationEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "actor", "from_status", "to_status", "reason"]
    readonly_fields = fields
    verbose_name = "moderation step"
    verbose_name_plural = "Moderation log"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CaseAdminForm(forms.ModelForm):
    """Refuses to save over an edit made by someone else since this form was opened."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Case
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what is shown
        widgets = {"summary": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version

    def clean(self):
        data = super().clean()
        if self.instance.pk:
            # Locks the row until this save commits, so a concurrent save waits and then sees it.
            current = (
                Case.objects.select_for_update()
                .filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )
            if data.get("version") != current:
                raise ValidationError(
                    "Someone else saved this case while you were editing it, so your changes "
                    "have not been saved. Open the case again to see their changes (the History "
                    "button shows what changed), then make your edits again."
                )
        phases = {p.slug for p in data.get("phases") or []}
        for activity in data.get("activities") or []:
            if activity.phase.slug not in phases:
                self.add_error("activities", f"{activity} needs its phase ticked under Phases.")
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        help_text="The submitter sees this reason on their tracking page and in an email.",
        error_messages={"required": "Give a reason: the submitter is told why."},
    )


def _run(modeladmin, request, queryset, service, **kwargs):
    done = 0
    for case in queryset:
        try:
            service(case=case, actor=request.user, **kwargs)
            done += 1
        except services.TransitionError as error:
            modeladmin.message_user(request, str(error), messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{done} case(s) updated.", messages.SUCCESS)


def _with_reason(action_name, service, label):
    """An admin action that first asks for the reason, then applies the service to each case."""

    def action(modeladmin, request, queryset):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            _run(modeladmin, request, queryset, service, reason=form.cleaned_data["reason"])
            return None
        return render(
            request,
            "admin/catalogue/case/reason_form.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": label,
                "cases": queryset,
                "form": form,
                "action_name": action_name,
                "opts": modeladmin.model._meta,
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            },
        )

    action.__name__ = action_name
    return admin.action(description=f"{label}…", permissions=["change"])(action)


@admin.action(description="Publish", permissions=["change"])
def publish(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, services.case_publish)


@admin.action(description="Confirm evidence rating", permissions=["change"])
def confirm_evidence(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, services.case_confirm_evidence)


@admin.action(description="Erase the submitter's personal data", permissions=["change"])
def erase_submitter(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, services.case_erase_submitter)


@admin.register(Case)
class CaseAdmin(SimpleHistoryAdmin):
    form = CaseAdminForm
    list_display = [
        "title",
        "reference",
        "status",
        "submitted_at",
        "cell_short",
        "evidence",
        "country",
    ]
    list_filter = [
        QueueFilter,
        "planning",
        "delivery",
        "phases",
        "individual",
        "collective",
        "evidence_level",
        "evidence_confirmed",
        "service_areas",
        "co_producers",
        CountryFilter,
    ]
    search_fields = ["title", "summary", "slug", "reference", "locality", "lead_organisations"]
    ordering = [F("submitted_at").asc(nulls_last=True), "title"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["service_areas", "co_producers", "phases", "activities"]
    readonly_fields = [
        "status",
        "reference",
        "created_at",
        "updated_at",
        "submitted_at",
        "published_at",
        "submitter_erased_at",
        "submitter_proposal",
        "possible_duplicates",
    ]
    inlines = [OutcomeInline, SourceInline, ModerationEventInline]
    actions = [
        publish,
        _with_reason("request_changes", services.case_request_changes, "Request changes"),
        _with_reason("reject", services.case_reject, "Reject"),
        _with_reason("withdraw", services.case_withdraw, "Withdraw"),
        confirm_evidence,
        erase_submitter,
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "slug",
                    "summary",
                    "description",
                    "status",
                    "reference",
                    "version",
                    "possible_duplicates",
                ]
            },
        ),
        (
            "Place and time",
            {
                "fields": [
                    "country",
                    "locality",
                    "lead_organisations",
                    ("start_year", "end_year", "ongoing"),
                ]
            },
        ),
        (
            "Classification",
            {
                "fields": [
                    ("planning", "delivery"),
                    "phases",
                    "activities",
                    ("individual", "collective"),
                    "service_areas",
                    "co_producers",
                    ("level", "scenario", "driver"),
                ]
            },
        ),
        (
            "Evidence",
            {
                "fields": [
                    "evidence_level",
                    "evidence_direction",
                    "evaluation_design",
                    "independent_evaluation",
                    "evidence_rationale",
                    "evidence_confirmed",
                ]
            },
        ),
        ("Costs and lessons", {"fields": ["costs", "lessons"]}),
        (
            "Submitter (private)",
            {
                "fields": [
                    "submitter_name",
                    "submitter_email",
                    "submitter_organisation",
                    "submitter_role",
                    "submitter_erased_at",
                    "submitter_proposal",
                ],
                "classes": ["collapse"],
            },
        ),
        ("Dates", {"fields": ["created_at", "updated_at", "submitted_at", "published_at"]}),
    ]

    @admin.display(description="planned / delivered by")
    def cell_short(self, case):
        return case.cell.short_name if case.cell else "—"

    @admin.display(description="evidence", ordering="evidence_level")
    def evidence(self, case):
        state = "confirmed" if case.evidence_confirmed else "proposed"
        return f"{case.evidence_level} ({state})"

    @admin.display(description="possible duplicates")
    def possible_duplicates(self, case):
        if not case.pk:
            return "—"
        others = Case.objects.duplicates_of(case)
        if not others:
            return "None found: no other case has a similar title, or a similar title in the same place."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a> ({}{})</li>',
                (
                    (
                        reverse("admin:catalogue_case_change", args=[other.pk]),
                        other.title,
                        other.get_status_display().lower(),
                        f", {other.locality}" if other.locality else "",
                    )
                    for other in others
                ),
            ),
        )

    @admin.display(description="submitter's original proposal")
    def submitter_proposal(self, case):
        if not case.proposal:
            return "—"
        proposal = case.proposal
        cell = v.cell_for(proposal.get("planning"), proposal.get("delivery"))
        evidence = proposal.get("evidence", {})
        rows = [
            ("Matrix cell", cell.name if cell else "—"),
            ("Phases", ", ".join(proposal.get("phases", []))),
            ("Who benefits", ", ".join(proposal.get("benefits", []))),
            ("Proposed evidence level", evidence.get("level")),
            ("Evidence rationale", evidence.get("rationale", "")),
        ]
        table = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
        return format_html(
            "<table>{}</table><details><summary>Everything they sent</summary><pre>{}</pre></details>",
            table,
            json.dumps(proposal, indent=2, ensure_ascii=False),
        )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj and obj.submitter_erased_at:
            fields += [
                "submitter_name",
                "submitter_email",
                "submitter_organisation",
                "submitter_role",
            ]
        return fields

    def save_model(self, request, obj, form, change):
        services.case_save(case=obj, created=not change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.case_refresh_search_text(case=form.instance)

    def has_delete_permission(self, request, obj=None):
        # Cases are withdrawn, never deleted, so their history stays.
        return request.user.is_superuser


@admin.register(ProblemReport)
class ProblemReportAdmin(admin.ModelAdmin):
    list_display = ["case", "reason", "created_at", "resolved"]
    list_filter = ["resolved", "reason"]
    search_fields = ["case__title", "details"]
    readonly_fields = ["case", "reason", "details", "email", "created_at"]
    fields = ["case", "reason", "details", "email", "created_at", "resolved", "editor_note"]

    def has_add_permission(self, request):
        return False


@admin.register(ServiceArea, CoProducer)
class TermAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "description"]
    search_fields = ["name", "slug"]

    def get_readonly_fields(self, request, obj=None):
        # Slugs are a public contract (URLs, exports): fixed once created.
        return ["slug"] if obj else []


@admin.register(Phase, Activity)
class FixedTermAdmin(admin.ModelAdmin):
    """Fixed vocabularies are read-only: their slugs are a public contract."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
