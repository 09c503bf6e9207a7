"""The classification vocabulary: every slug, label and explanation, defined once.

Models, forms, filters, templates, exports, the codebook and the guide all
read from here. Slugs are a public contract (URLs, exports, API): never change
them. Sources: Bovaird (2007) Table 1 (seed 004), Bovaird & Loeffler (2014)
"Research Question 2" (seed 001), the Nesta Standards of Evidence.
"""

from dataclasses import dataclass

from django.db import models
from django.db.models.enums import ChoicesType
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class TermsType(ChoicesType):
    """The choices (and `labels`) of a vocabulary keep their lazy labels, so that model fields
    and forms defined at import show them in the language of each request."""

    @property
    def choices(cls):
        return [(member.value, member._label_) for member in cls]


class Described:
    """Adds `description` to a choices enum, read from its `DESCRIPTIONS` mapping.

    A member's `label` and `description` are text in the language active when they are read;
    `lazy_label` and `lazy_description` are the same, translated only when shown, for what is
    defined at import (form fields, model fields, messages)."""

    @property
    def label(self):
        return str(self._label_)

    @property
    def lazy_label(self):
        return self._label_

    @property
    def description(self):
        return str(self.lazy_description)

    @property
    def lazy_description(self):
        return type(self).DESCRIPTIONS.get(self.value, "")

    @classmethod
    def terms(cls):
        """(slug, label, description) for every member, in order."""
        return [(m.value, m.label, m.description) for m in cls]


class Phase(Described, models.TextChoices, metaclass=TermsType):
    CO_COMMISSION = "co-commission", _("Co-commissioning")
    CO_DESIGN = "co-design", _("Co-design")
    CO_DELIVER = "co-deliver", _("Co-delivery")
    CO_ASSESS = "co-assess", _("Co-assessment")


Phase.DESCRIPTIONS = {
    "co-commission": _(
        "Citizens help decide what is needed and what is paid for: co-planning of policy "
        "(deliberative participation, Planning for Real, Open Space), co-prioritisation "
        "(personal budgets, participatory budgeting, seats in commissioning) and co-financing "
        "(fundraising, crowd funding, agreeing local tax rises)."
    ),
    "co-design": _(
        "Service users and communities shape how a service works: user forums or design labs "
        "that redesign services, and prototype-testing of what they designed."
    ),
    "co-deliver": _(
        "Citizens do part of the work of the service: co-managing (community trusts, community "
        "management of public assets, school governors), co-performing (peer support such as "
        "expert patients, Neighbourhood Watch) and mutual support (time banking)."
    ),
    "co-assess": _(
        "Citizens judge how well the service works: co-monitoring and co-evaluation (citizen "
        "inspectors, user online ratings, participatory service reviews)."
    ),
}


class Activity(Described, models.TextChoices, metaclass=TermsType):
    """The optional second level under each phase."""

    CO_PLANNING = "co-planning", _("Co-planning of policy")
    CO_PRIORITISATION = "co-prioritisation", _("Co-prioritisation")
    CO_FINANCING = "co-financing", _("Co-financing")
    DESIGN_FORUMS = "design-forums", _("User forums and design labs")
    PROTOTYPE_TESTING = "prototype-testing", _("Prototype-testing")
    CO_MANAGING = "co-managing", _("Co-managing")
    CO_PERFORMING = "co-performing", _("Co-performing")
    MUTUAL_SUPPORT = "mutual-support", _("Mutual support")
    CO_MONITORING = "co-monitoring", _("Co-monitoring")
    CO_EVALUATION = "co-evaluation", _("Co-evaluation")

    @property
    def phase(self):
        return ACTIVITY_PHASE[self.value]


Activity.DESCRIPTIONS = {
    "co-planning": _("Deliberative participation, Planning for Real, Open Space events."),
    "co-prioritisation": _(
        "Personal budgets, participatory budgeting, citizens on commissioning bodies."
    ),
    "co-financing": _("Fundraising, crowd funding, agreeing local tax rises."),
    "design-forums": _("User forums or design labs for redesigning services."),
    "prototype-testing": _("Citizens test prototypes of co-designed services."),
    "co-managing": _("Community trusts, community management of public assets, school governors."),
    "co-performing": _("Peer support such as expert patients; Neighbourhood Watch."),
    "mutual-support": _("Co-operative and mutual achievement of outcomes, such as time banking."),
    "co-monitoring": _("Citizen inspectors, user online ratings."),
    "co-evaluation": _("Participatory service reviews and evaluations."),
}

ACTIVITY_PHASE = {
    "co-planning": Phase.CO_COMMISSION,
    "co-prioritisation": Phase.CO_COMMISSION,
    "co-financing": Phase.CO_COMMISSION,
    "design-forums": Phase.CO_DESIGN,
    "prototype-testing": Phase.CO_DESIGN,
    "co-managing": Phase.CO_DELIVER,
    "co-performing": Phase.CO_DELIVER,
    "mutual-support": Phase.CO_DELIVER,
    "co-monitoring": Phase.CO_ASSESS,
    "co-evaluation": Phase.CO_ASSESS,
}


class Planning(Described, models.TextChoices, metaclass=TermsType):
    PROFESSIONAL = "professional", _("Professionals as sole service planner")
    CO_PLANNING = "co-planning", _("Service users and/or community as co-planners")
    COMMUNITY = "community", _("No professional input into service planning")


Planning.DESCRIPTIONS = {
    "professional": _("Professionals alone planned and designed the service."),
    "co-planning": _(
        "Service users or the community planned or designed it together with professionals."
    ),
    "community": _("Users or the community planned it themselves, with no professional input."),
}
Planning.QUESTION = _("Who planned or designed the service?")


class Delivery(Described, models.TextChoices, metaclass=TermsType):
    PROFESSIONAL = "professional", _("Professionals as sole service deliverer")
    CO_DELIVERY = "co-delivery", _("Professionals and users/communities as co-deliverers")
    COMMUNITY = "community", _("Users/communities as sole deliverers")


Delivery.DESCRIPTIONS = {
    "professional": _("Paid professional staff alone deliver the service day to day."),
    "co-delivery": _("Professionals and service users or community members deliver it together."),
    "community": _("Service users or community members deliver it themselves."),
}
Delivery.QUESTION = _("Who delivers the service day to day?")


class Benefit(Described, models.TextChoices, metaclass=TermsType):
    """Type of co-production: who benefits."""

    INDIVIDUAL = "individual", _("Individual")
    COLLECTIVE = "collective", _("Collective")


Benefit.DESCRIPTIONS = {
    "individual": _("The benefits go mainly to the people who co-produce."),
    "collective": _("The benefits go to a wider group or the whole community."),
}


class EvidenceLevel(Described, models.IntegerChoices, metaclass=TermsType):
    NOT_EVALUATED = 0, _("Not yet evaluated")
    RATIONALE = 1, _("Clear rationale")
    EARLY_OUTCOMES = 2, _("Early outcome data")
    CAUSAL = 3, _("Causal evidence")
    VALIDATED = 4, _("Independently validated")
    TRANSFERRED = 5, _("Proven to transfer")


EvidenceLevel.DESCRIPTIONS = {
    0: _("A description only; anecdote at most."),
    1: _(
        "An explicit account of why it should work; testimonials or satisfaction surveys after the event only."
    ),
    2: _(
        "Systematic monitoring, before-and-after measures, surveys, or a rigorous qualitative or "
        "participatory evaluation showing change; no comparison group."
    ),
    3: _(
        "At least one evaluation with a credible comparison group (quasi-experimental or "
        "randomised) showing impact."
    ),
    4: _("An independent evaluation confirms the impact, and cost or benefit information exists."),
    5: _(
        "Delivered by others, elsewhere or at scale, with impact maintained and still affordable."
    ),
}
EVIDENCE_CAVEAT = _(
    "The evidence level rates how strongly the evidence shows that the practice causes its "
    "outcomes. It is not a judgement of the practice's worth: a new or small initiative may be "
    "excellent and simply not yet evaluated. Levels follow the Nesta Standards of Evidence, "
    "with a level 0 added."
)


class Direction(Described, models.TextChoices, metaclass=TermsType):
    POSITIVE = "positive", _("Positive")
    MIXED = "mixed", _("Mixed")
    NO_EFFECT = "no-effect", _("No effect")
    NEGATIVE = "negative", _("Negative")
    NOT_YET_KNOWN = "not-yet-known", _("Not yet known")


Direction.DESCRIPTIONS = {
    "positive": _("The findings show the intended improvement."),
    "mixed": _("Some findings are positive, others not."),
    "no-effect": _("The findings show no measurable change."),
    "negative": _("The findings show harm or a worse result."),
    "not-yet-known": _("There are no findings yet."),
}


class EvaluationDesign(Described, models.TextChoices, metaclass=TermsType):
    NONE = "none", _("None")
    QUALITATIVE = "qualitative", _("Qualitative")
    PARTICIPATORY = "participatory", _("Participatory")
    MONITORING = "monitoring", _("Monitoring data")
    BEFORE_AFTER = "before-after", _("Before and after")
    COMPARISON_GROUP = "comparison-group", _("Comparison group")
    RANDOMISED_TRIAL = "randomised-trial", _("Randomised trial")
    SYSTEMATIC_REVIEW = "systematic-review", _("Systematic review")


EvaluationDesign.DESCRIPTIONS = {
    "none": _("No evaluation has been done."),
    "qualitative": _("Interviews, observation or documents, analysed systematically."),
    "participatory": _("An evaluation in which participants themselves take part."),
    "monitoring": _("Routine figures collected while the service runs."),
    "before-after": _("Measures taken before and after, without a comparison group."),
    "comparison-group": _("Results compared with a similar group that did not take part."),
    "randomised-trial": _("Participants allocated at random to the practice or not."),
    "systematic-review": _("A systematic review of several studies."),
}


class BenefitGroup(Described, models.TextChoices, metaclass=TermsType):
    """Who benefits from an outcome: the benefit groups of the Welsh review (seed 001)."""

    SERVICE_USERS = "service-users", _("Service users")
    CITIZENS = "citizens", _("Citizens")
    FRONTLINE_STAFF = "frontline-staff", _("Frontline staff")
    SERVICE_MANAGERS = "service-managers", _("Service managers")
    POLITICIANS = "politicians", _("Politicians")


BenefitGroup.DESCRIPTIONS = {
    "service-users": _("The people who use the service."),
    "citizens": _("Residents and the wider public."),
    "frontline-staff": _("Staff who deliver the service."),
    "service-managers": _("Managers and commissioners."),
    "politicians": _("Elected members."),
}


class SourceKind(Described, models.TextChoices, metaclass=TermsType):
    ACADEMIC = "academic", _("Academic")
    EVALUATION = "evaluation", _("Evaluation")
    PRACTITIONER = "practitioner", _("Practitioner report")
    NEWS = "news", _("News")
    OTHER = "other", _("Other")


SourceKind.DESCRIPTIONS = {
    "academic": _("A peer-reviewed article, academic book or review."),
    "evaluation": _("An evaluation report."),
    "practitioner": _("A report or case study by practitioners, government or advisers."),
    "news": _("A news article."),
    "other": _("Any other source."),
}


class Level(Described, models.TextChoices, metaclass=TermsType):
    """Needham & Carr's levels of co-production."""

    SIMPLE = "simple", _("Simple")
    INTERMEDIATE = "intermediate", _("Intermediate")
    TRANSFORMATIONAL = "transformational", _("Transformational")


Level.DESCRIPTIONS = {
    "simple": _("Recognises what users already contribute to the service."),
    "intermediate": _("Gives users more voice and a real say in how the service works."),
    "transformational": _("Shifts power and relationships between users and professionals."),
}


class Scenario(Described, models.TextChoices, metaclass=TermsType):
    SUBSTITUTIVE = "substitutive", _("Substitutive")
    ADDITIVE = "additive", _("Additive")


Scenario.DESCRIPTIONS = {
    "substitutive": _("Citizens' inputs replace some inputs of professional staff."),
    "additive": _("Citizens' inputs add to what professional staff provide."),
}


class Driver(Described, models.TextChoices, metaclass=TermsType):
    GOVERNANCE = "governance", _("Governance")
    LOGISTICAL = "logistical", _("Logistical / feasibility")


Driver.DESCRIPTIONS = {
    "governance": _("Driven by democratic or governance aims: voice, legitimacy, accountability."),
    "logistical": _("Driven by what is feasible: resources, capacity, reaching people."),
}


class Status(Described, models.TextChoices, metaclass=TermsType):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


Status.DESCRIPTIONS = {
    "draft": _("Not yet sent for review."),
    "submitted": _("Waiting for an editor's decision."),
    "changes_requested": _("An editor has asked the submitter for changes."),
    "published": _("Public in the catalogue."),
    "rejected": _("Not accepted for the catalogue."),
    "withdrawn": _("Was published, has been taken down."),
}


@dataclass(frozen=True)
class Cell:
    """One cell of Bovaird's planner/deliverer matrix (seed 004, Table 1)."""

    planning: str
    delivery: str
    name_text: str
    explanation_text: str
    example_text: str = ""
    example_slug: str = ""
    refused: bool = False
    note_text: str = ""

    # Text in the language active when they are read; the *_text fields are the same, lazy,
    # for what is defined at import.
    @property
    def name(self):
        return str(self.name_text)

    @property
    def explanation(self):
        return str(self.explanation_text)

    @property
    def example(self):
        return str(self.example_text)

    @property
    def note(self):
        return str(self.note_text)

    @property
    def slug(self):
        return f"{self.planning}--{self.delivery}"

    @property
    def query(self):
        return f"planning={self.planning}&delivery={self.delivery}"

    @property
    def short_name(self):
        """ "co-planned / co-delivered": who plans and who delivers, in two words."""
        return f"{SHORT_ANSWERS['planning'][self.planning]} / {SHORT_ANSWERS['delivery'][self.delivery]}"


MATRIX = {
    (c.planning, c.delivery): c
    for c in [
        Cell(
            "professional",
            "professional",
            _("Traditional professional service provision"),
            _(
                "Professionals plan the service and professionals deliver it. Citizens only receive it, "
                "so this is not co-production."
            ),
            refused=True,
            note_text=_(
                "This is traditional professional provision, not co-production: citizens must "
                "take part in planning or in delivery. If service users or residents helped plan or "
                "design it, say so in the first question; if they help deliver it, say so in the second."
            ),
        ),
        Cell(
            "professional",
            "co-delivery",
            _("User co-delivery of professionally-designed services"),
            _(
                "Professionals decide how the service is designed, and service users or community "
                "members help to deliver it alongside staff."
            ),
            "Sure Start",
            "sure-start-gateshead",
        ),
        Cell(
            "professional",
            "community",
            _("User/community delivery of professionally-planned services"),
            _(
                "Professionals plan the service, and users or community members deliver it "
                "themselves, without professional staff doing the delivery."
            ),
            _("Villa Family, France"),
            "villa-family",
        ),
        Cell(
            "co-planning",
            "professional",
            _(
                "Traditional professional service provision with users and communities involved "
                "in planning and design"
            ),
            _(
                "Users and communities help plan or design the service, or set its priorities, and "
                "professionals deliver it."
            ),
            _("Participatory budgeting, Porto Alegre"),
            "porto-alegre-participatory-budgeting",
        ),
        Cell(
            "co-planning",
            "co-delivery",
            _("Full user/professional co-production"),
            _(
                "Users and professionals share the planning and design of the service, and then "
                "deliver it together."
            ),
            "Caterham Barracks Community Trust",
            "caterham-barracks-community-trust",
        ),
        Cell(
            "co-planning",
            "community",
            _("User/community delivery of co-planned or co-designed services"),
            _(
                "Users or community members deliver a service that they planned or designed together "
                "with professionals."
            ),
            "Tackley Village Shop",
            "tackley-village-shop",
        ),
        Cell(
            "community",
            "professional",
            _("Not applicable"),
            _(
                "A service planned with no professional input but delivered by professionals alone "
                "is an impossible combination in Bovaird's matrix."
            ),
            refused=True,
            note_text=_(
                "This combination is not possible: if only professional staff deliver a service "
                "the community planned, the professionals shape how it runs, so it was planned together. "
                "Choose “together with professionals” in the first question, or say in the second that "
                "users or volunteers help deliver it."
            ),
        ),
        Cell(
            "community",
            "co-delivery",
            _(
                "User/community co-delivery of services with professionals, with little formal "
                "planning or design"
            ),
            _(
                "Users and community groups run the activity without a formal planning process, and "
                "call on professional staff when their expertise is needed."
            ),
            "Beacon Community Regeneration Partnership, Falmouth",
            "beacon-community-regeneration-partnership",
        ),
        Cell(
            "community",
            "community",
            _("Traditional self-organised community provision"),
            _(
                "Users and communities plan and deliver the service themselves, with no direct "
                "professional involvement."
            ),
            note_text=_(
                "Counts as co-production only where public services play at least an indirect "
                "role (advice, funding, quality checks). Bovaird (2007) includes self-organised "
                "provision; the Welsh review excludes pure self-help."
            ),
        ),
    ]
}


SHORT_ANSWERS = {
    "planning": {
        "professional": _("professionals"),
        "co-planning": _("co-planned"),
        "community": _("community"),
    },
    "delivery": {
        "professional": _("professionals"),
        "co-delivery": _("co-delivered"),
        "community": _("community"),
    },
}


def cell_for(planning, delivery):
    """The matrix cell for a planning and delivery answer, or None if either is unknown."""
    return MATRIX.get((planning, delivery))


REFUSED_CELLS = [cell for cell in MATRIX.values() if cell.refused]


def matrix_rows():
    """The matrix as rows: [(planning member, [cell for each delivery member])]."""
    return [(p, [MATRIX[p.value, d.value] for d in Delivery]) for p in Planning]


class _TranslatedMapping(dict):
    """A mapping of messages, each read in the language active when it is read."""

    def __getitem__(self, key):
        return str(super().__getitem__(key))

    def get(self, key, default=None):
        return str(super().get(key)) if key in self else default

    def values(self):
        return [self[key] for key in self]

    def items(self):
        return [(key, self[key]) for key in self]


# Plain-language answers for the guided submission: what an officer who does not
# know the theory would recognise. Keys are the slugs above. LAZY_PLAIN_ANSWERS holds them
# translated only when shown, for form choices defined at import.
LAZY_PLAIN_ANSWERS = {
    "planning": {
        "professional": _(
            "Professionals (council or agency staff) planned and designed it on their own"
        ),
        "co-planning": _(
            "Service users, residents or community groups planned or designed it "
            "together with professionals"
        ),
        "community": _(
            "Service users or the community planned it themselves, with no professional input"
        ),
    },
    "delivery": {
        "professional": _("Paid professional staff only"),
        "co-delivery": _(
            "Professional staff together with service users, volunteers or community members"
        ),
        "community": _(
            "Service users, volunteers or community members, without professional staff"
        ),
    },
    "phases": {
        "co-commission": _(
            "Deciding what is needed or paid for – for example setting priorities, "
            "voting on budgets or raising money"
        ),
        "co-design": _(
            "Designing how the service works – for example design workshops or testing prototypes"
        ),
        "co-deliver": _(
            "Delivering the service – for example volunteering, peer support or running a facility"
        ),
        "co-assess": _(
            "Checking how well it works – for example inspecting, rating or reviewing the service"
        ),
    },
    "benefits": {
        "individual": _(
            "Mainly the people who take part – for example patients managing their own condition"
        ),
        "collective": _("A wider group or the whole community – for example a safer neighbourhood"),
    },
    "activities": {
        "co-planning": _(
            "Citizens help plan policy or services – for example deliberative events, "
            "Planning for Real or Open Space"
        ),
        "co-prioritisation": _(
            "Citizens decide priorities or spending – for example participatory "
            "budgeting, personal budgets or seats on a commissioning panel"
        ),
        "co-financing": _(
            "Citizens help pay for it – for example fundraising, crowd funding or "
            "agreeing a local tax rise"
        ),
        "design-forums": _(
            "Service users help redesign the service in forums, workshops or design labs"
        ),
        "prototype-testing": _(
            "Citizens try out new versions of the service before it is rolled out"
        ),
        "co-managing": _(
            "Citizens help run it – for example a community trust, a community-managed "
            "building or school governors"
        ),
        "co-performing": _(
            "Citizens do part of the work – for example peer support, expert patients "
            "or Neighbourhood Watch"
        ),
        "mutual-support": _("People help each other in return – for example a time bank"),
        "co-monitoring": _(
            "Citizens check standards – for example as inspectors or by rating the service online"
        ),
        "co-evaluation": _("Citizens take part in reviewing or evaluating the service"),
    },
}


PLAIN_ANSWERS = {key: _TranslatedMapping(answers) for key, answers in LAZY_PLAIN_ANSWERS.items()}


def plain_answer(key, term, note=""):
    """An answer in the plain words the officer chose, with the classification it gives beside
    it, as in "Delivering the service ... (Co-delivery)"."""
    return f"{PLAIN_ANSWERS[key][term.value]} ({term.label}{', ' + note if note else ''})"


def plain_activity(activity):
    """An optional activity in plain words, with its term and the phase it belongs to."""
    activity = Activity(activity)
    part_of = gettext("part of %(phase)s") % {"phase": activity.phase.label}
    return plain_answer("activities", activity, part_of)


# Each statement describes one level of the evidence ladder in plain words (statement n is
# level n). The proposed level is the strongest statement ticked, so that ticking a higher
# statement alone never understates the evidence; an editor checks it against the sources.
LAZY_EVIDENCE_QUESTIONS = [
    _(
        "We can explain clearly why it should work, and have feedback or testimonials from people "
        "who took part"
    ),
    _(
        "We have monitoring figures, before-and-after measures, survey results or a systematic "
        "evaluation that show a change"
    ),
    _("An evaluation compared the results with a similar group of people who did not take part"),
    _("An independent evaluator confirmed the impact, and there are figures on costs or savings"),
    _(
        "Others have delivered it elsewhere or at a larger scale with the same results, at an "
        "affordable cost"
    ),
]


class _TranslatedSequence(tuple):
    """A sequence of messages, each read in the language active when it is read."""

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [str(message) for message in super().__getitem__(index)]
        return str(super().__getitem__(index))

    def __iter__(self):
        return (str(message) for message in super().__iter__())


# The statements as text in the language active when they are read.
EVIDENCE_QUESTIONS = _TranslatedSequence(LAZY_EVIDENCE_QUESTIONS)


def proposed_level(statements):
    """The evidence level the ticked statements (1-based numbers) support: the strongest one.

    static/js/site.js follows the same rule to show the level as boxes are ticked."""
    return EvidenceLevel(max((int(n) for n in statements), default=0))
