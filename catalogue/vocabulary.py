"""The classification vocabulary: every slug, label and explanation, defined once.

Models, forms, filters, templates, exports, the codebook and the guide all
read from here. Slugs are a public contract (URLs, exports, API): never change
them. Sources: Bovaird (2007) Table 1 (seed 004), Bovaird & Loeffler (2014)
"Research Question 2" (seed 001), the Nesta Standards of Evidence.
"""

from dataclasses import dataclass

from django.db import models


class Described:
    """Adds `description` to a choices enum, read from its `DESCRIPTIONS` mapping."""

    @property
    def description(self):
        return type(self).DESCRIPTIONS.get(self.value, "")

    @classmethod
    def terms(cls):
        """(slug, label, description) for every member, in order."""
        return [(m.value, m.label, m.description) for m in cls]


class Phase(Described, models.TextChoices):
    CO_COMMISSION = "co-commission", "Co-commissioning"
    CO_DESIGN = "co-design", "Co-design"
    CO_DELIVER = "co-deliver", "Co-delivery"
    CO_ASSESS = "co-assess", "Co-assessment"


Phase.DESCRIPTIONS = {
    "co-commission": (
        "Citizens help decide what is needed and what is paid for: co-planning of policy "
        "(deliberative participation, Planning for Real, Open Space), co-prioritisation "
        "(personal budgets, participatory budgeting, seats in commissioning) and co-financing "
        "(fundraising, crowd funding, agreeing local tax rises)."
    ),
    "co-design": (
        "Service users and communities shape how a service works: user forums or design labs "
        "that redesign services, and prototype-testing of what they designed."
    ),
    "co-deliver": (
        "Citizens do part of the work of the service: co-managing (community trusts, community "
        "management of public assets, school governors), co-performing (peer support such as "
        "expert patients, Neighbourhood Watch) and mutual support (time banking)."
    ),
    "co-assess": (
        "Citizens judge how well the service works: co-monitoring and co-evaluation (citizen "
        "inspectors, user online ratings, participatory service reviews)."
    ),
}


class Activity(Described, models.TextChoices):
    """The optional second level under each phase."""

    CO_PLANNING = "co-planning", "Co-planning of policy"
    CO_PRIORITISATION = "co-prioritisation", "Co-prioritisation"
    CO_FINANCING = "co-financing", "Co-financing"
    DESIGN_FORUMS = "design-forums", "User forums and design labs"
    PROTOTYPE_TESTING = "prototype-testing", "Prototype-testing"
    CO_MANAGING = "co-managing", "Co-managing"
    CO_PERFORMING = "co-performing", "Co-performing"
    MUTUAL_SUPPORT = "mutual-support", "Mutual support"
    CO_MONITORING = "co-monitoring", "Co-monitoring"
    CO_EVALUATION = "co-evaluation", "Co-evaluation"

    @property
    def phase(self):
        return ACTIVITY_PHASE[self.value]


Activity.DESCRIPTIONS = {
    "co-planning": "Deliberative participation, Planning for Real, Open Space events.",
    "co-prioritisation": "Personal budgets, participatory budgeting, citizens on commissioning bodies.",
    "co-financing": "Fundraising, crowd funding, agreeing local tax rises.",
    "design-forums": "User forums or design labs for redesigning services.",
    "prototype-testing": "Citizens test prototypes of co-designed services.",
    "co-managing": "Community trusts, community management of public assets, school governors.",
    "co-performing": "Peer support such as expert patients; Neighbourhood Watch.",
    "mutual-support": "Co-operative and mutual achievement of outcomes, such as time banking.",
    "co-monitoring": "Citizen inspectors, user online ratings.",
    "co-evaluation": "Participatory service reviews and evaluations.",
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


class Planning(Described, models.TextChoices):
    PROFESSIONAL = "professional", "Professionals as sole service planner"
    CO_PLANNING = "co-planning", "Service users and/or community as co-planners"
    COMMUNITY = "community", "No professional input into service planning"


Planning.DESCRIPTIONS = {
    "professional": "Professionals alone planned and designed the service.",
    "co-planning": "Service users or the community planned or designed it together with professionals.",
    "community": "Users or the community planned it themselves, with no professional input.",
}
Planning.QUESTION = "Who planned or designed the service?"


class Delivery(Described, models.TextChoices):
    PROFESSIONAL = "professional", "Professionals as sole service deliverer"
    CO_DELIVERY = "co-delivery", "Professionals and users/communities as co-deliverers"
    COMMUNITY = "community", "Users/communities as sole deliverers"


Delivery.DESCRIPTIONS = {
    "professional": "Paid professional staff alone deliver the service day to day.",
    "co-delivery": "Professionals and service users or community members deliver it together.",
    "community": "Service users or community members deliver it themselves.",
}
Delivery.QUESTION = "Who delivers the service day to day?"


class Benefit(Described, models.TextChoices):
    """Type of co-production: who benefits."""

    INDIVIDUAL = "individual", "Individual"
    COLLECTIVE = "collective", "Collective"


Benefit.DESCRIPTIONS = {
    "individual": "The benefits go mainly to the people who co-produce.",
    "collective": "The benefits go to a wider group or the whole community.",
}


class EvidenceLevel(Described, models.IntegerChoices):
    NOT_EVALUATED = 0, "Not yet evaluated"
    RATIONALE = 1, "Clear rationale"
    EARLY_OUTCOMES = 2, "Early outcome data"
    CAUSAL = 3, "Causal evidence"
    VALIDATED = 4, "Independently validated"
    TRANSFERRED = 5, "Proven to transfer"


EvidenceLevel.DESCRIPTIONS = {
    0: "A description only; anecdote at most.",
    1: "An explicit account of why it should work; testimonials or satisfaction surveys after the event only.",
    2: (
        "Systematic monitoring, before-and-after measures, surveys, or a rigorous qualitative or "
        "participatory evaluation showing change; no comparison group."
    ),
    3: (
        "At least one evaluation with a credible comparison group (quasi-experimental or "
        "randomised) showing impact."
    ),
    4: "An independent evaluation confirms the impact, and cost or benefit information exists.",
    5: "Delivered by others, elsewhere or at scale, with impact maintained and still affordable.",
}
EVIDENCE_CAVEAT = (
    "The evidence level rates how strongly the evidence shows that the practice causes its "
    "outcomes. It is not a judgement of the practice's worth: a new or small initiative may be "
    "excellent and simply not yet evaluated. Levels follow the Nesta Standards of Evidence, "
    "with a level 0 added."
)


class Direction(Described, models.TextChoices):
    POSITIVE = "positive", "Positive"
    MIXED = "mixed", "Mixed"
    NO_EFFECT = "no-effect", "No effect"
    NEGATIVE = "negative", "Negative"
    NOT_YET_KNOWN = "not-yet-known", "Not yet known"


Direction.DESCRIPTIONS = {
    "positive": "The findings show the intended improvement.",
    "mixed": "Some findings are positive, others not.",
    "no-effect": "The findings show no measurable change.",
    "negative": "The findings show harm or a worse result.",
    "not-yet-known": "There are no findings yet.",
}


class EvaluationDesign(Described, models.TextChoices):
    NONE = "none", "None"
    QUALITATIVE = "qualitative", "Qualitative"
    PARTICIPATORY = "participatory", "Participatory"
    MONITORING = "monitoring", "Monitoring data"
    BEFORE_AFTER = "before-after", "Before and after"
    COMPARISON_GROUP = "comparison-group", "Comparison group"
    RANDOMISED_TRIAL = "randomised-trial", "Randomised trial"
    SYSTEMATIC_REVIEW = "systematic-review", "Systematic review"


EvaluationDesign.DESCRIPTIONS = {
    "none": "No evaluation has been done.",
    "qualitative": "Interviews, observation or documents, analysed systematically.",
    "participatory": "An evaluation in which participants themselves take part.",
    "monitoring": "Routine figures collected while the service runs.",
    "before-after": "Measures taken before and after, without a comparison group.",
    "comparison-group": "Results compared with a similar group that did not take part.",
    "randomised-trial": "Participants allocated at random to the practice or not.",
    "systematic-review": "A systematic review of several studies.",
}


class BenefitGroup(Described, models.TextChoices):
    """Who benefits from an outcome: the benefit groups of the Welsh review (seed 001)."""

    SERVICE_USERS = "service-users", "Service users"
    CITIZENS = "citizens", "Citizens"
    FRONTLINE_STAFF = "frontline-staff", "Frontline staff"
    SERVICE_MANAGERS = "service-managers", "Service managers"
    POLITICIANS = "politicians", "Politicians"


BenefitGroup.DESCRIPTIONS = {
    "service-users": "The people who use the service.",
    "citizens": "Residents and the wider public.",
    "frontline-staff": "Staff who deliver the service.",
    "service-managers": "Managers and commissioners.",
    "politicians": "Elected members.",
}


class SourceKind(Described, models.TextChoices):
    ACADEMIC = "academic", "Academic"
    EVALUATION = "evaluation", "Evaluation"
    PRACTITIONER = "practitioner", "Practitioner report"
    NEWS = "news", "News"
    OTHER = "other", "Other"


SourceKind.DESCRIPTIONS = {
    "academic": "A peer-reviewed article, academic book or review.",
    "evaluation": "An evaluation report.",
    "practitioner": "A report or case study by practitioners, government or advisers.",
    "news": "A news article.",
    "other": "Any other source.",
}


class Level(Described, models.TextChoices):
    """Needham & Carr's levels of co-production."""

    SIMPLE = "simple", "Simple"
    INTERMEDIATE = "intermediate", "Intermediate"
    TRANSFORMATIONAL = "transformational", "Transformational"


Level.DESCRIPTIONS = {
    "simple": "Recognises what users already contribute to the service.",
    "intermediate": "Gives users more voice and a real say in how the service works.",
    "transformational": "Shifts power and relationships between users and professionals.",
}


class Scenario(Described, models.TextChoices):
    SUBSTITUTIVE = "substitutive", "Substitutive"
    ADDITIVE = "additive", "Additive"


Scenario.DESCRIPTIONS = {
    "substitutive": "Citizens' inputs replace some inputs of professional staff.",
    "additive": "Citizens' inputs add to what professional staff provide.",
}


class Driver(Described, models.TextChoices):
    GOVERNANCE = "governance", "Governance"
    LOGISTICAL = "logistical", "Logistical / feasibility"


Driver.DESCRIPTIONS = {
    "governance": "Driven by democratic or governance aims: voice, legitimacy, accountability.",
    "logistical": "Driven by what is feasible: resources, capacity, reaching people.",
}


class Status(Described, models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    PUBLISHED = "published", "Published"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


Status.DESCRIPTIONS = {
    "draft": "Not yet sent for review.",
    "submitted": "Waiting for an editor's decision.",
    "changes_requested": "An editor has asked the submitter for changes.",
    "published": "Public in the catalogue.",
    "rejected": "Not accepted for the catalogue.",
    "withdrawn": "Was published, has been taken down.",
}


@dataclass(frozen=True)
class Cell:
    """One cell of Bovaird's planner/deliverer matrix (seed 004, Table 1)."""

    planning: str
    delivery: str
    name: str
    explanation: str
    example: str = ""
    example_slug: str = ""
    refused: bool = False
    note: str = ""

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
            "Traditional professional service provision",
            "Professionals plan the service and professionals deliver it. Citizens only receive it, "
            "so this is not co-production.",
            refused=True,
            note="This is traditional professional provision, not co-production: citizens must "
            "take part in planning or in delivery. If service users or residents helped plan or "
            "design it, say so in the first question; if they help deliver it, say so in the second.",
        ),
        Cell(
            "professional",
            "co-delivery",
            "User co-delivery of professionally-designed services",
            "Professionals decide how the service is designed, and service users or community "
            "members help to deliver it alongside staff.",
            "Sure Start",
            "sure-start-gateshead",
        ),
        Cell(
            "professional",
            "community",
            "User/community delivery of professionally-planned services",
            "Professionals plan the service, and users or community members deliver it "
            "themselves, without professional staff doing the delivery.",
            "Villa Family, France",
            "villa-family",
        ),
        Cell(
            "co-planning",
            "professional",
            "Traditional professional service provision with users and communities involved "
            "in planning and design",
            "Users and communities help plan or design the service, or set its priorities, and "
            "professionals deliver it.",
            "Participatory budgeting, Porto Alegre",
            "porto-alegre-participatory-budgeting",
        ),
        Cell(
            "co-planning",
            "co-delivery",
            "Full user/professional co-production",
            "Users and professionals share the planning and design of the service, and then "
            "deliver it together.",
            "Caterham Barracks Community Trust",
            "caterham-barracks-community-trust",
        ),
        Cell(
            "co-planning",
            "community",
            "User/community delivery of co-planned or co-designed services",
            "Users or community members deliver a service that they planned or designed together "
            "with professionals.",
            "Tackley Village Shop",
            "tackley-village-shop",
        ),
        Cell(
            "community",
            "professional",
            "Not applicable",
            "A service planned with no professional input but delivered by professionals alone "
            "is an impossible combination in Bovaird's matrix.",
            refused=True,
            note="This combination is not possible: if only professional staff deliver a service "
            "the community planned, the professionals shape how it runs, so it was planned together. "
            "Choose “together with professionals” in the first question, or say in the second that "
            "users or volunteers help deliver it.",
        ),
        Cell(
            "community",
            "co-delivery",
            "User/community co-delivery of services with professionals, with little formal "
            "planning or design",
            "Users and community groups run the activity without a formal planning process, and "
            "call on professional staff when their expertise is needed.",
            "Beacon Community Regeneration Partnership, Falmouth",
            "beacon-community-regeneration-partnership",
        ),
        Cell(
            "community",
            "community",
            "Traditional self-organised community provision",
            "Users and communities plan and deliver the service themselves, with no direct "
            "professional involvement.",
            note="Counts as co-production only where public services play at least an indirect "
            "role (advice, funding, quality checks). Bovaird (2007) includes self-organised "
            "provision; the Welsh review excludes pure self-help.",
        ),
    ]
}


SHORT_ANSWERS = {
    "planning": {
        "professional": "professionals",
        "co-planning": "co-planned",
        "community": "community",
    },
    "delivery": {
        "professional": "professionals",
        "co-delivery": "co-delivered",
        "community": "community",
    },
}


def cell_for(planning, delivery):
    """The matrix cell for a planning and delivery answer, or None if either is unknown."""
    return MATRIX.get((planning, delivery))


REFUSED_CELLS = [cell for cell in MATRIX.values() if cell.refused]


def matrix_rows():
    """The matrix as rows: [(planning member, [cell for each delivery member])]."""
    return [(p, [MATRIX[p.value, d.value] for d in Delivery]) for p in Planning]


# Plain-language answers for the guided submission: what an officer who does not
# know the theory would recognise. Keys are the slugs above.
PLAIN_ANSWERS = {
    "planning": {
        "professional": "Professionals (council or agency staff) planned and designed it on their own",
        "co-planning": "Service users, residents or community groups planned or designed it "
        "together with professionals",
        "community": "Service users or the community planned it themselves, with no professional input",
    },
    "delivery": {
        "professional": "Paid professional staff only",
        "co-delivery": "Professional staff together with service users, volunteers or community members",
        "community": "Service users, volunteers or community members, without professional staff",
    },
    "phases": {
        "co-commission": "Deciding what is needed or paid for – for example setting priorities, "
        "voting on budgets or raising money",
        "co-design": "Designing how the service works – for example design workshops or testing prototypes",
        "co-deliver": "Delivering the service – for example volunteering, peer support or running a facility",
        "co-assess": "Checking how well it works – for example inspecting, rating or reviewing the service",
    },
    "benefits": {
        "individual": "Mainly the people who take part – for example patients managing their own condition",
        "collective": "A wider group or the whole community – for example a safer neighbourhood",
    },
    "activities": {
        "co-planning": "Citizens help plan policy or services – for example deliberative events, "
        "Planning for Real or Open Space",
        "co-prioritisation": "Citizens decide priorities or spending – for example participatory "
        "budgeting, personal budgets or seats on a commissioning panel",
        "co-financing": "Citizens help pay for it – for example fundraising, crowd funding or "
        "agreeing a local tax rise",
        "design-forums": "Service users help redesign the service in forums, workshops or design labs",
        "prototype-testing": "Citizens try out new versions of the service before it is rolled out",
        "co-managing": "Citizens help run it – for example a community trust, a community-managed "
        "building or school governors",
        "co-performing": "Citizens do part of the work – for example peer support, expert patients "
        "or Neighbourhood Watch",
        "mutual-support": "People help each other in return – for example a time bank",
        "co-monitoring": "Citizens check standards – for example as inspectors or by rating the "
        "service online",
        "co-evaluation": "Citizens take part in reviewing or evaluating the service",
    },
}


def plain_answer(key, term, note=""):
    """An answer in the plain words the officer chose, with the classification it gives beside
    it, as in "Delivering the service ... (Co-delivery)"."""
    return f"{PLAIN_ANSWERS[key][term.value]} ({term.label}{', ' + note if note else ''})"


def plain_activity(activity):
    """An optional activity in plain words, with its term and the phase it belongs to."""
    activity = Activity(activity)
    return plain_answer("activities", activity, f"part of {activity.phase.label}")


# Each statement describes one level of the evidence ladder in plain words (statement n is
# level n). The proposed level is the strongest statement ticked, so that ticking a higher
# statement alone never understates the evidence; an editor checks it against the sources.
EVIDENCE_QUESTIONS = [
    "We can explain clearly why it should work, and have feedback or testimonials from people "
    "who took part",
    "We have monitoring figures, before-and-after measures, survey results or a systematic "
    "evaluation that show a change",
    "An evaluation compared the results with a similar group of people who did not take part",
    "An independent evaluator confirmed the impact, and there are figures on costs or savings",
    "Others have delivered it elsewhere or at a larger scale with the same results, at an "
    "affordable cost",
]


def proposed_level(statements):
    """The evidence level the ticked statements (1-based numbers) support: the strongest one.

    static/js/site.js follows the same rule to show the level as boxes are ticked."""
    return EvidenceLevel(max((int(n) for n in statements), default=0))
