"""The public forms: the guided submission's steps and the problem report."""

from django import forms
from django.db.models import BLANK_CHOICE_DASH
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from catalogue import vocabulary as v
from catalogue.models import CoProducer, ProblemReport, ServiceArea
from catalogue.text import clean_text

YEAR = {"min_value": 1800, "max_value": 2100, "required": False}


def plain_choices(key, vocabulary):
    return [(slug, v.LAZY_PLAIN_ANSWERS[key][slug]) for slug in vocabulary.values]


def _interpolate(message, values):
    return str(message) % {key: str(value) for key, value in values.items()}


# A translated sentence with named placeholders, filled in the language of the page that shows it
# (choices are made at import time, when no page's language is known yet).
interpolate_lazy = lazy(_interpolate, str)


def country_choices():
    """The countries, named and sorted in the current language, after an empty choice."""
    return [("", gettext("Choose a country")), *list(countries)]


class CleanText:
    """Every public form reads its data through `text.clean_text`: a line break pasted from a word
    processor becomes a newline and other control characters are dropped before validation."""

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:
            data = _without_controls(data)
        super().__init__(data, *args, **kwargs)


def _without_controls(data):
    if hasattr(data, "setlist"):
        data = data.copy()
        for key in list(data):
            data.setlist(key, [clean_text(value) for value in data.getlist(key)])
        return data
    return {key: clean_text(value) for key, value in data.items()}


class StepForm(CleanText, forms.Form):
    """A step of the guided submission, with its page heading and introduction."""

    heading = ""
    intro = ""


class WhoForm(StepForm):
    heading = _("Who plans and who delivers the service")
    intro = _(
        "Two questions place your example in Bovaird's matrix of co-production. "
        "Answer for the service as it runs now."
    )

    planning = forms.ChoiceField(
        label=v.Planning.QUESTION,
        choices=plain_choices("planning", v.Planning),
        widget=forms.RadioSelect,
        help_text=_("Think of who decided what the service does and how it works."),
        error_messages={"required": _("Say who planned or designed the service.")},
    )
    delivery = forms.ChoiceField(
        label=v.Delivery.QUESTION,
        choices=plain_choices("delivery", v.Delivery),
        widget=forms.RadioSelect,
        help_text=_("Think of the people who do the work when the service is running."),
        error_messages={"required": _("Say who delivers the service day to day.")},
    )

    def clean(self):
        data = super().clean()
        cell = v.cell_for(data.get("planning"), data.get("delivery"))
        if cell and cell.refused:
            self.add_error("delivery", cell.note)
        return data


class ParticipationForm(StepForm):
    heading = _("How citizens take part, and who benefits")

    phases = forms.MultipleChoiceField(
        label=_("At which stages do citizens take part?"),
        choices=plain_choices("phases", v.Phase),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick every stage that applies."),
        error_messages={"required": _("Tick at least one stage at which citizens take part.")},
    )
    activities = forms.MultipleChoiceField(
        label=_("Which of these activities are involved? (optional)"),
        choices=[
            (
                a.value,
                interpolate_lazy(
                    _("%(answer)s (%(activity)s, part of %(phase)s)"),
                    {
                        "answer": v.LAZY_PLAIN_ANSWERS["activities"][a.value],
                        "activity": a.lazy_label,
                        "phase": a.phase.lazy_label,
                    },
                ),
            )
            for a in v.Activity
        ],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "Only tick activities that belong to a stage you ticked above: the stage is "
            "named in brackets."
        ),
    )
    benefits = forms.MultipleChoiceField(
        label=_("Who benefits?"),
        choices=plain_choices("benefits", v.Benefit),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick both if both are true."),
        error_messages={"required": _("Say who benefits: tick one or both.")},
    )

    def clean(self):
        data = super().clean()
        phases = set(data.get("phases", []))
        wrong = [a for a in data.get("activities", []) if v.ACTIVITY_PHASE[a] not in phases]
        if phases and wrong:
            labels = ", ".join(str(v.Activity(a).label) for a in wrong)
            self.add_error(
                "activities",
                gettext("%(activities)s: tick the matching stage above, or untick the activity.")
                % {"activities": labels},
            )
        return data


class EvidenceForm(StepForm):
    heading = _("What evidence there is")
    intro = _(
        "Your answers suggest an evidence level, which an editor checks against your sources. "
        "It rates how strongly the evidence shows the service causes its results, not how good "
        "the service is: many excellent services have not been evaluated yet."
    )

    statements = forms.TypedMultipleChoiceField(
        label=_("Which of these are true? Tick all that apply."),
        choices=[
            (
                str(n),
                interpolate_lazy(
                    _("%(statement)s (evidence level %(level)s: %(name)s)"),
                    {"statement": text, "level": n, "name": v.EvidenceLevel(n).lazy_label},
                ),
            )
            for n, text in enumerate(v.LAZY_EVIDENCE_QUESTIONS, start=1)
        ],
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Leave them all unticked if there is only a description so far."),
    )
    direction = forms.ChoiceField(
        label=_("What did the evidence find?"),
        choices=v.Direction.choices,
        widget=forms.RadioSelect,
        initial=v.Direction.NOT_YET_KNOWN,
        error_messages={"required": _("Say what the evidence found, or choose “Not yet known”.")},
    )
    design = forms.ChoiceField(
        label=_("How was it evaluated?"),
        choices=[
            (m.value, format_lazy("{}: {}", m.lazy_label, m.lazy_description))
            for m in v.EvaluationDesign
        ],
        widget=forms.RadioSelect,
        initial=v.EvaluationDesign.NONE,
        error_messages={"required": _("Say how it was evaluated, or choose “None”.")},
    )
    independent = forms.TypedChoiceField(
        label=_("Was any evaluation carried out by someone independent of the service?"),
        choices=[
            ("no", _("No, or not known")),
            ("yes", pgettext_lazy("independent evaluation", "Yes")),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        initial="no",
    )
    rationale = forms.CharField(
        label=_("In one or two sentences, what does the evidence show?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=interpolate_lazy(
            _(
                "For example: “A survey of 120 participants found %(share)s felt safer.” "
                "If there is no evaluation yet, say so."
            ),
            {"share": "80%"},
        ),
        error_messages={
            "required": _("Describe the evidence in a sentence, or say there is none yet.")
        },
    )

    @property
    def proposed_level(self):
        """The level the ticked statements support, also while other answers have errors."""
        ticked = self.data.getlist("statements") if self.is_bound else []
        valid = {str(n) for n in range(1, len(v.EVIDENCE_QUESTIONS) + 1)}
        return v.proposed_level({int(n) for n in ticked if n in valid})

    @property
    def skipped_statements(self):
        """Statements below the proposed level left unticked: the officer may have missed them."""
        ticked = set(self.data.getlist("statements")) if self.is_bound else set()
        level = self.proposed_level.value
        return [
            text
            for n, text in enumerate(v.EVIDENCE_QUESTIONS[: max(level - 1, 0)], start=1)
            if str(n) not in ticked
        ]


class AboutForm(StepForm):
    heading = _("About the service")

    title = forms.CharField(
        label=_("Name of the service or initiative"),
        max_length=200,
        help_text=_("For example “Tower Hamlets participatory budgeting”."),
        error_messages={"required": _("Enter the name of the service or initiative.")},
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One or two sentences, shown in lists of cases. At most 400 characters."),
        error_messages={"required": _("Enter a one or two sentence summary.")},
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("What happens, who takes part, how it started and how it is run."),
        error_messages={"required": _("Describe the service.")},
    )
    country = forms.ChoiceField(
        label=_("Country"),
        choices=country_choices,
        initial="GB",
        error_messages={"required": _("Choose the country.")},
    )
    locality = forms.CharField(
        label=_("Town, city or area"),
        max_length=200,
        required=False,
        help_text=_("For example “Cardiff”."),
    )
    lead_organisations = forms.CharField(
        label=_("Lead organisation(s)"),
        max_length=300,
        required=False,
        help_text=_("The council, agency or group that runs it. Separate several with commas."),
    )
    service_areas = forms.ModelMultipleChoiceField(
        label=_("Service areas"),
        queryset=ServiceArea.objects.all(),
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick every area the service belongs to."),
        error_messages={"required": _("Tick at least one service area.")},
    )
    co_producers = forms.ModelMultipleChoiceField(
        label=_("Who takes part alongside professionals?"),
        queryset=CoProducer.objects.all(),
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one group of people who take part.")},
    )
    start_year = forms.IntegerField(
        label=_("Year it started"), help_text=_("For example 2019."), **YEAR
    )
    ongoing = forms.BooleanField(label=_("It is still running"), required=False)
    end_year = forms.IntegerField(
        label=_("Year it ended"), help_text=_("Leave empty if it is still running."), **YEAR
    )
    costs = forms.CharField(
        label=_("Costs and savings (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    lessons = forms.CharField(
        label=_("Obstacles and lessons (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What got in the way, and what others should know."),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start_year"), data.get("end_year")
        if start and end and end < start:
            self.add_error(
                "end_year", gettext("The year it ended cannot be before the year it started.")
            )
        if data.get("ongoing") and end:
            self.add_error("end_year", gettext("Leave the end year empty if it is still running."))
        return data


class OutcomeForm(CleanText, forms.Form):
    statement = forms.CharField(
        label=_("What changed"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    figure = forms.CharField(
        label=_("Key figure (optional)"),
        max_length=200,
        required=False,
        help_text=_("Copy it exactly as your source gives it, for example “79%”."),
    )
    benefit_group = forms.ChoiceField(
        label=_("Who benefits from this outcome"),
        choices=[("", _("Choose")), *list(v.BenefitGroup.choices)],
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("statement") and not data.get("benefit_group"):
            self.add_error("benefit_group", gettext("Say who benefits from this outcome."))
        if not data.get("statement") and (data.get("figure") or data.get("benefit_group")):
            self.add_error("statement", gettext("Say what changed, or clear this outcome."))
        return data


class SourceForm(CleanText, forms.Form):
    citation = forms.CharField(
        label=_("Reference"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Author or organisation, year, title, publisher."),
    )
    year = forms.IntegerField(label=_("Year published (optional)"), **YEAR)
    url = forms.URLField(
        label=_("Web address (optional)"), max_length=500, required=False, assume_scheme="https"
    )
    kind = forms.ChoiceField(
        label=_("Kind of source"),
        choices=[("", _("Choose")), *list(v.SourceKind.choices)],
        required=False,
    )
    locator = forms.CharField(label=_("Page or section (optional)"), max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if data.get("citation") and not data.get("kind"):
            self.add_error("kind", gettext("Say what kind of source this is."))
        if not data.get("citation") and any(
            data.get(f) for f in ("year", "url", "kind", "locator")
        ):
            self.add_error("citation", gettext("Give the reference, or clear this source."))
        return data


class BaseRowFormSet(forms.BaseFormSet):
    """Fixed rows; empty rows are ignored. `required` rows must be filled, or the formset says
    `too_few` (a whole sentence)."""

    required = 0
    too_few = ""

    def clean(self):
        if any(self.errors):
            return
        filled = [f for f in self.forms if f.cleaned_data and any(f.cleaned_data.values())]
        if len(filled) < self.required:
            raise forms.ValidationError(self.too_few)

    def filled(self):
        return [
            f.cleaned_data for f in self.forms if f.cleaned_data and any(f.cleaned_data.values())
        ]


class OutcomeFormSet(BaseRowFormSet):
    default_error_messages = {"too_many_forms": _("Give at most %(num)d outcomes.")}


class SourceFormSet(BaseRowFormSet):
    required = 1
    too_few = _("Give at least 1 source, such as a report, evaluation, web page or article.")
    default_error_messages = {"too_many_forms": _("Give at most %(num)d sources.")}


# A new submission shows ROWS_SHOWN empty rows of each; "Add another" adds one, up to MAX_ROWS,
# and a case being edited shows every row it has. More rows than MAX_ROWS are refused, whatever
# the management form claims, so a request cannot make the server build thousands of forms.
ROWS_SHOWN, MAX_ROWS = 3, 30
ROWS = {
    "extra": ROWS_SHOWN,
    "max_num": MAX_ROWS,
    "absolute_max": MAX_ROWS,
    "validate_max": True,
}
OutcomeRows = forms.formset_factory(OutcomeForm, formset=OutcomeFormSet, **ROWS)
SourceRows = forms.formset_factory(SourceForm, formset=SourceFormSet, **ROWS)


class ContactForm(StepForm):
    heading = _("Your contact details")
    intro = _(
        "Editors use these to ask you about your example. They are private: they never appear "
        "on the site or in its open data, and an editor can erase them on request."
    )

    name = forms.CharField(
        label=_("Your name"), max_length=200, error_messages={"required": _("Enter your name.")}
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We send your reference number and tracking link here."),
        error_messages={
            "required": _("Enter your email address."),
            "invalid": _("Enter an email address in the right format, like name@example.gov.uk."),
        },
    )
    organisation = forms.CharField(label=_("Organisation"), max_length=200, required=False)
    role = forms.CharField(label=_("Your role (optional)"), max_length=200, required=False)

    changed_contact = True  # a new submission always gives its contact details


class ContactChangeForm(ContactForm):
    """The contact step while editing a case an editor sent back. The details given before are
    not shown (anyone holding the tracking link could read them): new ones replace them, and
    empty fields keep them."""

    heading = _("Your contact details")
    intro = _(
        "We have the contact details you gave before. To keep them private they are not shown "
        "here. Leave these fields empty to keep them, or give new ones to replace them."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False

    def clean(self):
        data = super().clean()
        if any(data.get(name) for name in self.fields):
            for name in ("name", "email"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, ContactForm.base_fields[name].error_messages["required"])
        return data

    @property
    def changed_contact(self):
        """Whether new contact details were given."""
        return bool(self.cleaned_data.get("email"))


class ProblemReportForm(CleanText, forms.ModelForm):
    reason = forms.ChoiceField(
        label=_("What is the problem?"),
        choices=[
            *BLANK_CHOICE_DASH,  # as the model's own form field offers it
            (ProblemReport.Reason.FACTUAL, _("Something is wrong or out of date")),
            (ProblemReport.Reason.CLASSIFICATION, _("The classification looks wrong")),
            (ProblemReport.Reason.SOURCE, _("A source or link is wrong or broken")),
            (ProblemReport.Reason.DUPLICATE, _("It duplicates another case")),
            (ProblemReport.Reason.OTHER, _("Something else")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what the problem is.")},
    )

    class Meta:
        model = ProblemReport
        fields = ["reason", "details", "email"]
        labels = {
            "details": _("Tell us more"),
            "email": _("Your email address (optional)"),
        }
        help_texts = {
            "details": _("What is wrong, and where did you find the right information?"),
            "email": _("Only if you are happy for an editor to contact you. It stays private."),
        }
        widgets = {"details": forms.Textarea(attrs={"rows": 5})}
        error_messages = {"details": {"required": _("Tell us what the problem is.")}}


class OutcomesAndSources:
    """The outcomes-and-sources step: two sets of rows that validate together."""

    heading = _("Outcomes and sources")
    intro = _(
        "Say what has changed because of the service, and where the information comes from. "
        "Every published case names at least one source."
    )

    def __init__(self, data=None):
        self.outcomes = OutcomeRows(data, prefix="outcomes")
        self.sources = SourceRows(data, prefix="sources")
        self.is_bound = data is not None

    def is_valid(self):
        return all([self.outcomes.is_valid(), self.sources.is_valid()])

    @property
    def cleaned_data(self):
        return {"outcomes": self.outcomes.filled(), "sources": self.sources.filled()}
