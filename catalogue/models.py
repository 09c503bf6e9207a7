import functools
import re
from operator import attrgetter

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from catalogue import bilingual
from catalogue import vocabulary as v

YEAR_VALIDATORS = [MinValueValidator(1800), MaxValueValidator(2100)]


class SlugNamedManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class FixedTerm(models.Model):
    """A row for one member of a fixed vocabulary, so cases can relate to it.

    The row stores only the slug; label and description come from
    `catalogue.vocabulary`, the one place they are defined.
    """

    vocabulary = None

    objects = SlugNamedManager()

    class Meta:
        abstract = True
        ordering = ["position"]

    def __str__(self):
        return str(self.label)  # the vocabulary's label, in the page's language

    def natural_key(self):
        return (self.slug,)

    @property
    def term(self):
        return self.vocabulary(self.slug)

    @property
    def label(self):
        return self.term.label

    @property
    def description(self):
        return self.term.description


class Phase(FixedTerm):
    """One of the four phases (the "four Co's")."""

    vocabulary = v.Phase

    slug = models.SlugField(max_length=30, unique=True, choices=v.Phase.choices)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta(FixedTerm.Meta):
        pass


class Activity(FixedTerm):
    """An optional sub-activity under a phase."""

    vocabulary = v.Activity

    slug = models.SlugField(max_length=30, unique=True, choices=v.Activity.choices)
    phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="activities")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta(FixedTerm.Meta):
        verbose_name_plural = "activities"

    def __str__(self):
        return f"{self.phase.label}: {self.label}"


class Term(models.Model):
    """An editable vocabulary: editors may add or rename terms; slugs stay stable."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    name_cy = models.CharField("name in Welsh", max_length=100, blank=True)
    description_cy = models.CharField("description in Welsh", max_length=300, blank=True)

    objects = SlugNamedManager()

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.label  # in the page's language: forms list terms by it

    def natural_key(self):
        return (self.slug,)

    @property
    def label(self):
        """The name in the page's language: in Welsh where it has been given."""
        return bilingual.localised(self, "name").text

    @property
    def meaning(self):
        """The description in the page's language: in Welsh where it has been given."""
        return bilingual.localised(self, "description").text


class ServiceArea(Term):
    pass


class CoProducer(Term):
    """Who co-produces: service users, carers, volunteers, community groups..."""

    class Meta(Term.Meta):
        verbose_name = "co-producer"


class SynonymGroup(models.Model):
    """Words and phrases a search treats as the same (elderly, older people, older adults): a
    search for one finds cases that use any of them (catalogue/search.py). Editors extend the
    thesaurus in the admin; a change takes effect at the next search."""

    terms = models.CharField(
        max_length=300,
        unique=True,
        help_text="Two or more words or phrases that mean the same here, separated by commas, "
        "e.g. “elderly, older people, older adults”.",
    )
    note = models.CharField(max_length=200, blank=True, help_text="Why they belong together.")

    class Meta:
        ordering = ["terms"]
        verbose_name = "synonym group"

    def __str__(self):
        return self.terms

    def term_list(self):
        """The group's terms, each as search compares them (lower case, hyphens as spaces)."""
        return list(dict.fromkeys(t for t in map(normal_phrase, self.terms.split(",")) if t))

    def clean(self):
        terms = self.term_list()
        if len(terms) < 2:
            raise ValidationError(
                {"terms": "Give at least two words or phrases, separated by commas."}
            )
        if len(terms) > 12:
            raise ValidationError({"terms": "Give at most 12 words or phrases in one group."})
        self.terms = ", ".join(terms)


def normal_phrase(text):
    """A word or phrase as search compares it: lower case, words only ("Co-operative" becomes
    "co operative")."""
    return " ".join(re.findall(r"\w+", text.lower()))


# A case's own rows beyond its fields: what CaseQuerySet.with_details prefetches, and
# read_details reads.
CASE_DETAILS = ("outcomes", "sources")


def read_details(cases):
    """Give the cases their outcomes and sources, as `with_details` would prefetch them, read in
    one query over both tables (side by side, each row padded with the other table's columns)
    instead of one query each. The statement is written once per number of cases, not compiled
    by the ORM each time: on a case page's cold path at 100,000 cases this took 1.2 ms off the
    median on PostgreSQL."""
    if not cases:
        return cases
    statement, layout = _details_statement(len(cases), connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(statement, [case.pk for case in cases] * len(CASE_DETAILS))
        rows = cursor.fetchall()
    relations = [relation for relation, *_columns in layout]
    found = {(case.pk, relation.name): [] for case in cases for relation in relations}
    for row in rows:
        relation, start, columns = layout[row[0]]
        values = row[start : start + len(columns)]
        values = [
            _converted(value, column, converters)
            for value, (column, converters) in zip(values, columns, strict=True)
        ]
        item = relation.related_model.from_db(connection.alias, None, values)
        found[getattr(item, relation.field.attname), relation.name].append(item)
    for case in cases:
        cache = case.__dict__.setdefault("_prefetched_objects_cache", {})
        for relation in relations:
            items = found[case.pk, relation.name]
            items.sort(key=attrgetter(*relation.related_model._meta.ordering))
            for item in items:
                relation.field.set_cached_value(item, case)
            queryset = getattr(case, relation.name).get_queryset()
            queryset._result_cache = items
            queryset._prefetch_done = True
            cache[relation.name] = queryset
    return cases


@functools.lru_cache(maxsize=256)
def _details_statement(count, vendor):
    """(SQL, layout) for read_details over `count` cases on the database `vendor`: layout[i] is
    (the relation, its first column, (column, its converters) for each of its fields) for the
    rows whose first column is i."""
    quote = connection.ops.quote_name
    relations = [Case._meta.get_field(name) for name in CASE_DETAILS]
    fields = [relation.related_model._meta.concrete_fields for relation in relations]
    placeholders = ", ".join(["%s"] * count)
    layout, selects, start = [], [], 1
    for i, relation in enumerate(relations):
        selected = [str(i)]
        for j, own in enumerate(fields):
            selected += [quote(field.column) if i == j else "NULL" for field in own]
        table = quote(relation.related_model._meta.db_table)
        selects.append(
            f"SELECT {', '.join(selected)} FROM {table} "
            f"WHERE {quote(relation.field.column)} IN ({placeholders})"
        )
        columns = []
        for field in fields[i]:
            column = field.get_col(relation.related_model._meta.db_table)
            converters = [
                *connection.ops.get_db_converters(column),
                *column.get_db_converters(connection),
            ]
            columns.append((column, converters))
        layout.append((relation, start, columns))
        start += len(columns)
    return " UNION ALL ".join(selects), layout


def _converted(value, column, converters):
    """A value as read from the database, converted as the ORM converts its column's values."""
    for convert in converters:
        value = convert(value, column, connection)
    return value


class CaseQuerySet(models.QuerySet):
    """Every read of cases: views, filters, exports, the API and the admin use these."""

    def published(self):
        return self.filter(status=v.Status.PUBLISHED)

    def search(self, q):
        """The cases matching the words of `q`, or all of them if it has none (a filter only:
        cheap enough for facet counts; catalogue/search.py says how, on each database)."""
        from catalogue import search

        return search.search(self, q) if search.clean_query(q) else self

    def ranked(self, q):
        """The matches of `q`, best first (with `search_rank`, higher is better)."""
        from catalogue import search

        return search.with_rank(self, q).order_by("-search_rank", "title", "id")

    def due_for_review(self, age):
        """Published cases whose classification and evidence rating no editor has reviewed
        within `age` (a timedelta), or ever."""
        return self.published().filter(
            Q(reviewed_at__isnull=True) | Q(reviewed_at__lt=timezone.now() - age)
        )

    # The orders of the list (each walks an index of Case.Meta.indexes).
    def newest(self):
        return self.order_by("-published_at", "-id")

    def by_title(self):
        return self.order_by("title", "id")

    def strongest_evidence(self):
        """Strongest evidence first: also how examples of a cell or phase are chosen."""
        return self.order_by("-evidence_level", "title", "id")

    def resembling(self, title, locality="", limit=5):
        """Cases that look like the same practice as `title` in `locality`: a very similar title,
        or a similar title in the same place (catalogue/search.py says how similarity is
        measured on each database)."""
        from catalogue import search

        title = search.clean_query(title)
        if not title:
            return []
        found = search.similar_titles(self, title, limit * 4)
        return [c for c in found if search.looks_like_the_same(c, title, locality or "")][:limit]

    def duplicates_of(self, case):
        """Other cases, in any status but draft, that look like the same practice (for editors)."""
        others = self.exclude(pk=case.pk).exclude(status=v.Status.DRAFT)
        return others.resembling(case.title, case.locality)

    def in_order(self, ids):
        """The cases with the given ids, in that order (by primary key, in one query)."""
        cases = self.filter(id__in=ids).order_by().in_bulk()
        return [cases[i] for i in ids if i in cases]

    def with_details(self):
        """A case's outcomes and sources, in a fixed number of queries."""
        return self.prefetch_related(*CASE_DETAILS)

    def for_page(self):
        """What a case page shows, in a fixed number of queries (the public pages take the terms
        and activities from the facet index: views.published_case)."""
        return self.prefetch_related(
            "phases",
            "service_areas",
            "co_producers",
            models.Prefetch("activities", Activity.objects.select_related("phase")),
        ).with_details()


class Case(models.Model):
    # Identity and description
    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=200)
    summary = models.CharField(
        max_length=400, help_text="One or two sentences, shown in lists and search results."
    )
    description = models.TextField(help_text="What happens, who takes part and how it came about.")
    # The same in Welsh, where it has been written; a Welsh page shows the English text, marked as
    # English, where it has not (catalogue/bilingual.py).
    title_cy = models.CharField("title in Welsh", max_length=200, blank=True)
    summary_cy = models.CharField("summary in Welsh", max_length=400, blank=True)
    description_cy = models.TextField("description in Welsh", blank=True)
    country = CountryField()
    locality = models.CharField(max_length=200, blank=True, help_text="Town, city or region.")
    lead_organisations = models.CharField("lead organisation(s)", max_length=300, blank=True)
    service_areas = models.ManyToManyField(ServiceArea, related_name="cases")
    co_producers = models.ManyToManyField(
        CoProducer, related_name="cases", verbose_name="co-producers"
    )
    start_year = models.PositiveSmallIntegerField(null=True, blank=True, validators=YEAR_VALIDATORS)
    end_year = models.PositiveSmallIntegerField(null=True, blank=True, validators=YEAR_VALIDATORS)
    ongoing = models.BooleanField(default=False)

    # Classification
    phases = models.ManyToManyField(
        Phase, related_name="cases", help_text="At which stages citizens take part: one or more."
    )
    activities = models.ManyToManyField(Activity, related_name="cases", blank=True)
    planning = models.CharField(
        max_length=20, choices=v.Planning.choices, help_text=v.Planning.QUESTION
    )
    delivery = models.CharField(
        max_length=20, choices=v.Delivery.choices, help_text=v.Delivery.QUESTION
    )
    individual = models.BooleanField(
        "individual benefit", default=False, help_text=v.Benefit.INDIVIDUAL.lazy_description
    )
    collective = models.BooleanField(
        "collective benefit", default=False, help_text=v.Benefit.COLLECTIVE.lazy_description
    )

    # Evidence
    evidence_level = models.PositiveSmallIntegerField(
        choices=v.EvidenceLevel.choices, default=v.EvidenceLevel.NOT_EVALUATED
    )
    evidence_direction = models.CharField(
        "direction of findings",
        max_length=20,
        choices=v.Direction.choices,
        default=v.Direction.NOT_YET_KNOWN,
    )
    evaluation_design = models.CharField(
        max_length=20, choices=v.EvaluationDesign.choices, default=v.EvaluationDesign.NONE
    )
    independent_evaluation = models.BooleanField(default=False)
    evidence_rationale = models.TextField(
        blank=True, help_text="One public sentence: why this level, and no higher."
    )
    evidence_confirmed = models.BooleanField(
        default=False, help_text="An editor has checked the evidence level against the sources."
    )
    # When an editor last vouched for the classification and the evidence rating together
    # (services.py says which steps count); public, so readers can judge how current it is.
    reviewed_at = models.DateTimeField(
        "classification and evidence last reviewed",
        null=True,
        blank=True,
        editable=False,
        help_text="Set when an editor confirms the evidence rating, publishes a case whose rating "
        "is confirmed, or marks it as reviewed.",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text="Private: only editors see it.",
    )

    # Further description
    costs = models.TextField("costs and savings", blank=True)
    lessons = models.TextField("obstacles and lessons", blank=True)
    level = models.CharField(max_length=20, choices=v.Level.choices, blank=True)
    scenario = models.CharField(max_length=20, choices=v.Scenario.choices, blank=True)
    driver = models.CharField(max_length=20, choices=v.Driver.choices, blank=True)
    # Outcome statements, and the names of the service areas and co-producers with the sources'
    # citations, copied here so full-text search can index them with the case (services.py).
    outcome_text = models.TextField(blank=True, editable=False)
    related_text = models.TextField(blank=True, editable=False)

    # Moderation
    status = models.CharField(max_length=20, choices=v.Status.choices, default=v.Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Incremented on every save: two editors saving the same version cannot both succeed.
    version = models.PositiveIntegerField(default=1)

    # Submission: private, shown to editors only, never in public pages or open data.
    reference = models.CharField(max_length=20, unique=True, null=True, blank=True, editable=False)
    tracking_token_hash = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    # The tracking token is derived from this and the secret key, so that emails sent later can
    # carry the link; the database alone holds neither the token nor enough to make it.
    tracking_nonce = models.CharField(max_length=64, blank=True, editable=False)
    proposal = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="The case as the submitter last sent it, including their proposed classification.",
    )
    submitter_name = models.CharField(max_length=200, blank=True)
    submitter_email = models.EmailField(max_length=254, blank=True)
    submitter_organisation = models.CharField(max_length=200, blank=True)
    submitter_role = models.CharField("submitter's role", max_length=200, blank=True)
    submitter_erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The language the submitter used the form in: their emails are written in it.
    language = models.CharField(
        "language of the submission",
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        editable=False,
    )

    history = HistoricalRecords(
        m2m_fields=[phases, activities, service_areas, co_producers],
        # Contact details stay out of the history so that erasing them erases them.
        excluded_fields=[
            "submitter_name",
            "submitter_email",
            "submitter_organisation",
            "submitter_role",
            "tracking_token_hash",
            "tracking_nonce",
            "proposal",
        ],
    )

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planning__in=v.Planning.values), name="case_planning_valid"
            ),
            models.CheckConstraint(
                condition=Q(delivery__in=v.Delivery.values), name="case_delivery_valid"
            ),
            models.CheckConstraint(
                condition=~Q(planning=v.Planning.PROFESSIONAL, delivery=v.Delivery.PROFESSIONAL),
                name="case_not_traditional_provision",
                violation_error_message=v.MATRIX["professional", "professional"].note_text,
            ),
            models.CheckConstraint(
                condition=~Q(planning=v.Planning.COMMUNITY, delivery=v.Delivery.PROFESSIONAL),
                name="case_not_impossible_cell",
                violation_error_message=v.MATRIX["community", "professional"].note_text,
            ),
            models.CheckConstraint(
                condition=Q(individual=True) | Q(collective=True),
                name="case_has_type",
                violation_error_message="Say who benefits: individual, collective, or both.",
            ),
            models.CheckConstraint(
                condition=Q(evidence_level__gte=0, evidence_level__lte=5),
                name="case_evidence_level_range",
            ),
            models.CheckConstraint(
                condition=Q(evidence_direction__in=v.Direction.values),
                name="case_evidence_direction_valid",
            ),
            models.CheckConstraint(
                condition=Q(evaluation_design__in=v.EvaluationDesign.values),
                name="case_evaluation_design_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=v.Status.values), name="case_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(end_year__isnull=True)
                | Q(start_year__isnull=True)
                | Q(end_year__gte=models.F("start_year")),
                name="case_years_in_order",
                violation_error_message="The end year cannot be before the start year.",
            ),
            models.CheckConstraint(
                condition=Q(ongoing=False) | Q(end_year__isnull=True),
                name="case_ongoing_has_no_end",
                violation_error_message="An ongoing case has no end year.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "planning", "delivery"]),
            models.Index(fields=["status", "evidence_level"]),
            models.Index(fields=["status", "country"]),
            models.Index(fields=["status", "start_year"]),
            models.Index(fields=["status", "submitted_at"]),
            # One index per sort order of the list, so deep pages walk an index.
            models.Index(fields=["status", "-published_at", "-id"], name="case_newest"),
            models.Index(fields=["status", "title", "id"], name="case_by_title"),
            models.Index(
                fields=["status", "-evidence_level", "title", "id"], name="case_by_evidence"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("case_detail", kwargs={"slug": self.slug})

    def clean(self):
        cell = self.cell
        if cell and cell.refused:
            raise ValidationError({"delivery": cell.note})
        if self.start_year and self.end_year and self.end_year < self.start_year:
            raise ValidationError({"end_year": "The end year cannot be before the start year."})
        if self.ongoing and self.end_year:
            raise ValidationError({"end_year": "An ongoing case has no end year."})
        if not (self.individual or self.collective):
            raise ValidationError(
                {"collective": "Say who benefits: individual, collective, or both."}
            )

    @property
    def cell(self):
        """The matrix cell, derived from the planning and delivery answers."""
        return v.cell_for(self.planning, self.delivery)

    @property
    def benefits(self):
        """The type of co-production as vocabulary members."""
        return [b for b in v.Benefit if getattr(self, b.value)]

    @property
    def evidence(self):
        return v.EvidenceLevel(self.evidence_level)

    @property
    def period(self):
        if self.start_year and self.ongoing:
            return f"{self.start_year} – ongoing"
        if self.start_year and self.end_year and self.end_year != self.start_year:
            return f"{self.start_year} – {self.end_year}"
        if self.start_year:
            return str(self.start_year)
        return "ongoing" if self.ongoing else ""


class Outcome(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="outcomes")
    statement = models.TextField(help_text="What changed, in plain words.")
    statement_cy = models.TextField("statement in Welsh", blank=True)
    figure = models.CharField(
        max_length=200,
        blank=True,
        help_text="A key figure, copied exactly as the source prints it.",
    )
    benefit_group = models.CharField("who benefits", max_length=20, choices=v.BenefitGroup.choices)
    position = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(benefit_group__in=v.BenefitGroup.values),
                name="outcome_benefit_group_valid",
            )
        ]

    def __str__(self):
        return self.statement[:80]


class Source(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sources")
    citation = models.TextField(help_text="Full reference: authors, year, title, publisher.")
    year = models.PositiveSmallIntegerField(null=True, blank=True, validators=YEAR_VALIDATORS)
    url = models.URLField("web address", max_length=500, blank=True)
    kind = models.CharField(max_length=20, choices=v.SourceKind.choices)
    locator = models.CharField(
        "where in the source", max_length=300, blank=True, help_text="Page or section."
    )
    position = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=v.SourceKind.values), name="source_kind_valid"
            )
        ]

    def __str__(self):
        return self.citation[:80]


class ModerationEvent(models.Model):
    """One step of a case's workflow: who, when, from which status to which, and why."""

    class Action(models.TextChoices):
        SUBMIT = "submit", "Submitted"
        RESUBMIT = "resubmit", "Resubmitted"
        PUBLISH = "publish", "Published"
        REQUEST_CHANGES = "request_changes", "Changes requested"
        REJECT = "reject", "Rejected"
        WITHDRAW = "withdraw", "Withdrawn"
        CONFIRM_EVIDENCE = "confirm_evidence", "Evidence rating confirmed"
        CHANGE_EVIDENCE = "change_evidence", "Evidence rating changed in the case form"
        ERASE_SUBMITTER = "erase_submitter", "Submitter's personal data erased"
        REVIEW = "review", "Classification and evidence reviewed"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        help_text="Empty when the submitter acted through their tracking link.",
    )
    from_status = models.CharField(max_length=20, choices=v.Status.choices)
    to_status = models.CharField(max_length=20, choices=v.Status.choices)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_action_display()} ({self.created_at:%d %b %Y %H:%M})"


class ProblemReport(models.Model):
    """A reader's report of a problem with a published case."""

    class Reason(models.TextChoices):
        FACTUAL = "factual", "Something is wrong or out of date"
        CLASSIFICATION = "classification", "The classification looks wrong"
        SOURCE = "source", "A source or link is wrong or broken"
        DUPLICATE = "duplicate", "It duplicates another case"
        OTHER = "other", "Something else"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    details = models.TextField(max_length=5000)
    email = models.EmailField(
        "reporter's email", blank=True, help_text="Private: only editors see it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved = models.BooleanField(default=False)
    editor_note = models.TextField(blank=True)

    class Meta:
        ordering = ["resolved", "created_at"]

    def __str__(self):
        return f"{self.get_reason_display()}: {self.case}"


class Notification(models.Model):
    """An e-mail the catalogue owes someone, kept until it is sent: written in the same transaction
    as the change it reports, sent after the response by catalogue/notifications.py, retried by
    `manage.py send_queued_mail`. None is lost silently: a failure is recorded here."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (no more tries)"

    recipients = models.JSONField(default=list)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notification_due")]
        verbose_name, verbose_name_plural = "e-mail", "e-mails"

    def __str__(self):
        return self.subject


class SearchAlert(models.Model):
    """A reader's request for e-mail about newly published cases of one search of the list: the
    list's parameters that choose cases, normalised (alerts.normalised_query), and how often.
    No account: the address is its owner's key, proved by the confirmation link; it is private
    (never in an export or the API) and deleted when its owner unsubscribes. The private link
    token is made again from `nonce` (services.alert_token); only its hash is stored."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        DAILY = "daily", _("Daily")

    email = models.EmailField("address", max_length=254)
    query = models.CharField(max_length=2000, blank=True)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default="weekly")
    nonce = models.CharField(max_length=64)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    # The language the reader asked in: the alert's e-mails and links are in it.
    language = models.CharField(
        max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["confirmed_at"], name="alert_confirmed")]
        verbose_name, verbose_name_plural = "search alert", "search alerts"

    def __str__(self):
        return f"{self.get_frequency_display()} alert {self.pk}"


class SentAlertCase(models.Model):
    """A case a search alert has e-mailed: never sent to the same alert twice."""

    alert = models.ForeignKey(SearchAlert, on_delete=models.CASCADE, related_name="sent")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "case"], name="alert_case_sent_once")
        ]

    def __str__(self):
        return f"case {self.case_id} sent to alert {self.alert_id}"
