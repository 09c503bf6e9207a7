"""The editors' workspace: a queue of what is waiting, moderation actions, history."""

import json
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import Group, User
from django.contrib.redirects import admin as redirects_admin
from django.contrib.redirects.models import Redirect
from django.contrib.sites.models import Site
from django.core.exceptions import EmptyResultSet, FullResultSet, ValidationError
from django.db.models import F
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.dateformat import time_format
from django.utils.html import format_html, format_html_join
from django_countries import countries
from django_ratelimit.core import get_usage
from simple_history.admin import SimpleHistoryAdmin

from catalogue import guards, notifications, services
from catalogue import vocabulary as v
from catalogue.forms import CleanText
from catalogue.models import (
    Activity,
    Case,
    CoProducer,
    ModerationEvent,
    Notification,
    Outcome,
    Phase,
    ProblemReport,
    SearchAlert,
    ServiceArea,
    Source,
    SynonymGroup,
)

WAITING = "waiting"

admin.site.site_header = "Co-production Case Catalogue: editors"
admin.site.site_title = "Co-production Case Catalogue editors"
admin.site.index_title = "Editors' workspace"
admin.site.site_url = "/"
# The app list beside every page would squeeze the case list's columns at 1366 px.
admin.site.enable_nav_sidebar = False


class ThrottledLoginForm(AdminAuthenticationForm):
    """The editors' sign-in, with a limit on failed attempts per account and per network address
    (settings.LOGIN_ACCOUNT_RATE, LOGIN_ADDRESS_RATE). Successful sign-ins are not counted; a
    refused one says when to try again. The account is counted whether or not it exists, so the
    refusal tells nothing about which accounts do."""

    def limits(self):
        account = (self.cleaned_data.get("username") or "").strip().casefold()
        limits = [
            (
                "admin-login-address",
                guards.client_network(self.request),
                settings.LOGIN_ADDRESS_RATE,
            )
        ]
        if account:
            limits.insert(0, ("admin-login-account", account, settings.LOGIN_ACCOUNT_RATE))
        return limits

    def usage(self, group, value, rate, *, increment=False):
        return get_usage(
            self.request, group=group, key=lambda *_: value, rate=rate, increment=increment
        )

    def seconds_until_allowed(self, group, value, rate):
        usage = self.usage(group, value, rate)
        if usage is None or usage["count"] < usage["limit"]:
            return 0
        # A negative time left means the cache could not be read: ask for a few minutes.
        return max(usage["time_left"], 1) if usage["time_left"] >= 0 else 300

    def clean(self):
        limits = self.limits()
        for group, value, rate in limits:
            if wait := self.seconds_until_allowed(group, value, rate):
                retry = guards.retry(wait)
                where = "to this account" if group == "admin-login-account" else "from your network"
                minutes = f"about {retry.minutes} minutes" if retry.minutes > 1 else "a minute"
                raise ValidationError(
                    f"Too many failed sign-ins {where}. Try again after "
                    f"{time_format(retry.at, 'H:i')} (in {minutes}).",
                    code="throttled",
                )
        try:
            return super().clean()
        except ValidationError:
            for group, value, rate in limits:
                self.usage(group, value, rate, increment=True)
            raise


admin.site.login_form = ThrottledLoginForm


def readable(value):
    """Whether the database can read this query parameter: PostgreSQL refuses a NUL in text, and
    neither database takes a whole number beyond 64 bits."""
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    return True


class CheckedChangeList(ChangeList):
    """Refuses list parameters the database cannot read the way Django refuses an unknown lookup:
    the list opens again without them (?e=1). What is checked is the parameters of the list's
    query itself, so every list filter, field lookup and search is covered."""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        try:
            _sql, params = queryset.query.sql_with_params()
        except (EmptyResultSet, FullResultSet):
            return queryset
        except (ValueError, TypeError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error
        if not all(readable(param) for param in params):
            raise IncorrectLookupParameters("A list parameter the database cannot read")
        return queryset


class CheckedListParameters:
    """For every ModelAdmin: its changelist checks the parameters it is given."""

    def get_changelist(self, request, **kwargs):
        return CheckedChangeList


class AdminForm(CleanText, forms.ModelForm):
    """Every text typed into the admin is read through `text.clean_text` before validation: a
    line break pasted from a word processor becomes a newline, other control characters go."""


admin.site.unregister([User, Group, Redirect, Site])


@admin.register(User)
class UserAdmin(CheckedListParameters, auth_admin.UserAdmin):
    pass


@admin.register(Group)
class GroupAdmin(CheckedListParameters, auth_admin.GroupAdmin):
    pass


@admin.register(Redirect)
class RedirectAdmin(CheckedListParameters, redirects_admin.RedirectAdmin):
    """Retired case addresses and the case each now leads to (settings.MIDDLEWARE). The site
    is fixed (SITE_ID): it is neither asked for nor shown."""

    fields = ["old_path", "new_path"]
    list_filter = []

    def save_model(self, request, obj, form, change):
        obj.site_id = settings.SITE_ID
        super().save_model(request, obj, form, change)


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
        if not self.value():
            return queryset
        code = self.value().strip().upper()
        if len(code) != 2 or not countries.name(code):
            raise IncorrectLookupParameters(f"No country has the code {self.value()!r}")
        return queryset.filter(country=code)


class ReviewFilter(admin.SimpleListFilter):
    """Published cases whose classification and evidence rating no editor has reviewed within
    settings.CATALOGUE_REVIEW_AGE_DAYS, or ever. Choosing it shows published cases, whatever
    the status filter said."""

    title = "review"
    parameter_name = "review"
    DUE, NEVER, RECENT = "due", "never", "recent"

    @staticmethod
    def age():
        return timedelta(days=settings.CATALOGUE_REVIEW_AGE_DAYS)

    def lookups(self, request, model_admin):
        days = settings.CATALOGUE_REVIEW_AGE_DAYS
        return [
            (self.DUE, f"Due for review (not reviewed in the last {days} days)"),
            (self.NEVER, "Never reviewed"),
            (self.RECENT, f"Reviewed in the last {days} days"),
        ]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "All",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: lookup, QueueFilter.parameter_name: v.Status.PUBLISHED}
                ),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        due = Case.objects.due_for_review(self.age())
        if value == self.DUE:
            return queryset.filter(pk__in=due.values("pk"))
        if value == self.NEVER:
            return queryset.published().filter(reviewed_at__isnull=True)
        if value == self.RECENT:
            return queryset.published().exclude(pk__in=due.values("pk"))
        raise IncorrectLookupParameters(f"No review filter is called {value[:40]!r}")


class OutcomeInline(admin.TabularInline):
    model = Outcome
    form = AdminForm
    extra = 0
    fields = ["statement", "statement_cy", "figure", "benefit_group", "position"]


class SourceInline(admin.StackedInline):
    model = Source
    form = AdminForm
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


class CaseAdminForm(AdminForm):
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


@admin.action(description="Mark as reviewed (classification and evidence)", permissions=["change"])
def mark_reviewed(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, services.case_mark_reviewed)


@admin.action(description="Erase the submitter's personal data", permissions=["change"])
def erase_submitter(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, services.case_erase_submitter)


@admin.register(Case)
class CaseAdmin(CheckedListParameters, SimpleHistoryAdmin):
    form = CaseAdminForm
    list_display = [
        "title",
        "reference",
        "status",
        "submitted",
        "cell_short",
        "evidence",
        "reviewed",
        "country",
        "written_in",
    ]
    list_filter = [
        QueueFilter,
        "language",
        ReviewFilter,
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
    search_fields = [
        "title",
        "title_cy",
        "summary",
        "slug",
        "reference",
        "locality",
        "lead_organisations",
    ]
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
        "reviewed_at",
        "reviewed_by",
        "language",
    ]
    inlines = [OutcomeInline, SourceInline, ModerationEventInline]
    actions = [
        publish,
        _with_reason("request_changes", services.case_request_changes, "Request changes"),
        _with_reason("reject", services.case_reject, "Reject"),
        _with_reason("withdraw", services.case_withdraw, "Withdraw"),
        confirm_evidence,
        mark_reviewed,
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
                    ("reviewed_at", "reviewed_by"),
                ]
            },
        ),
        (
            "In Welsh",
            {
                "fields": ["title_cy", "summary_cy", "description_cy"],
                "description": "Where these are empty, Welsh pages show the English text, "
                "marked as English.",
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
                    "language",
                    "submitter_erased_at",
                    "submitter_proposal",
                ],
                "classes": ["collapse"],
            },
        ),
        ("Dates", {"fields": ["created_at", "updated_at", "submitted_at", "published_at"]}),
    ]

    @admin.display(description="lang.", ordering="language")
    def written_in(self, case):
        """The language of the submission, abbreviated: the queue's columns fit a laptop."""
        code = "cy" if case.language == "cy" else "en"
        return format_html('<abbr title="{}">{}</abbr>', case.get_language_display(), code)

    @admin.display(description="submitted", ordering=F("submitted_at").asc(nulls_last=True))
    def submitted(self, case):
        """The day, and the time below it: written on one line, its width changed with the time
        of day and could push the queue past a laptop's width."""
        if not case.submitted_at:
            return "—"
        moment = timezone.localtime(case.submitted_at)
        return format_html(
            '<time datetime="{}">{}<br>{}</time>',
            moment.isoformat(),
            date_format(moment, "j M Y").replace(" ", "\u00a0"),  # the day on one line
            time_format(moment, "H:i"),
        )

    @admin.display(description="planned / delivered by")
    def cell_short(self, case):
        return case.cell.short_name if case.cell else "—"

    @admin.display(description="evidence", ordering="evidence_level")
    def evidence(self, case):
        state = "confirmed" if case.evidence_confirmed else "proposed"
        return f"{case.evidence_level} ({state})"

    @admin.display(description="last reviewed", ordering=F("reviewed_at").asc(nulls_first=True))
    def reviewed(self, case):
        return date_format(case.reviewed_at, "j M Y") if case.reviewed_at else "never"

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
        services.case_save(case=obj, created=not change, actor=request.user)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.case_refresh_search_text(case=form.instance)

    def has_delete_permission(self, request, obj=None):
        # Cases are withdrawn, never deleted, so their history stays.
        return request.user.is_superuser


@admin.register(ProblemReport)
class ProblemReportAdmin(CheckedListParameters, admin.ModelAdmin):
    form = AdminForm
    list_display = ["case", "reason", "created_at", "resolved"]
    list_filter = ["resolved", "reason"]
    search_fields = ["case__title", "details"]
    readonly_fields = ["case", "reason", "details", "email", "created_at"]
    fields = ["case", "reason", "details", "email", "created_at", "resolved", "editor_note"]

    def has_add_permission(self, request):
        return False


@admin.register(Notification)
class NotificationAdmin(CheckedListParameters, admin.ModelAdmin):
    """The outbox: every e-mail the catalogue owes, whether it went, and why not. Read-only; the
    bodies (which hold private tracking links) are not shown."""

    list_display = ["created_at", "subject", "recipient_list", "status", "attempts", "sent_at"]
    list_filter = ["status"]
    search_fields = ["subject"]
    fields = ["subject", "recipient_list", "case", "status", "attempts", "last_error"]
    fields += ["created_at", "next_attempt_at", "sent_at"]
    readonly_fields = fields
    actions = ["send_again"]

    @admin.display(description="to")
    def recipient_list(self, notification):
        return ", ".join(notification.recipients)

    @admin.action(description="Send the selected e-mails again now")
    def send_again(self, request, queryset):
        count = queryset.exclude(status=Notification.Status.SENT).update(
            status=Notification.Status.QUEUED, attempts=0, next_attempt_at=timezone.now()
        )
        notifications.dispatch()
        messages.success(request, f"{count} e-mail(s) queued to be sent again.")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The list and its action; no message is edited by hand.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SearchAlert)
class SearchAlertAdmin(CheckedListParameters, admin.ModelAdmin):
    """Readers' search alerts: read-only, so editors can answer a question about one or erase an
    address on request (delete). Addresses are in no export, the API or any public page."""

    list_display = ["email", "query", "frequency", "created_at", "confirmed_at", "last_sent_at"]
    list_filter = ["frequency", ("confirmed_at", admin.EmptyFieldListFilter)]
    search_fields = ["email"]
    fields = ["email", "query", "frequency", "created_at", "confirmed_at", "last_sent_at"]
    readonly_fields = fields
    actions = ["delete_selected"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.alert_unsubscribe(alert=obj)

    def delete_queryset(self, request, queryset):
        for alert in queryset:
            services.alert_unsubscribe(alert=alert)


@admin.register(ServiceArea, CoProducer)
class TermAdmin(CheckedListParameters, admin.ModelAdmin):
    form = AdminForm
    list_display = ["name", "name_cy", "slug", "description"]
    search_fields = ["name", "name_cy", "slug"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"name", "name_cy"} & set(form.changed_data):
            services.term_renamed(term=obj)  # searches find its cases by the new name

    def get_readonly_fields(self, request, obj=None):
        # Slugs are a public contract (URLs, exports): fixed once created.
        return ["slug"] if obj else []


@admin.register(SynonymGroup)
class SynonymGroupAdmin(CheckedListParameters, admin.ModelAdmin):
    """The search thesaurus: each group's words and phrases find each other (search.py)."""

    form = AdminForm
    list_display = ["terms", "note"]
    search_fields = ["terms", "note"]


@admin.register(Phase, Activity)
class FixedTermAdmin(CheckedListParameters, admin.ModelAdmin):
    """Fixed vocabularies are read-only: their slugs are a public contract."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
