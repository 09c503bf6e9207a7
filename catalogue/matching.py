"""Find cases like mine: the published cases ranked by how closely they fit a situation.

A situation is what a practitioner answers on /match/: the service areas, who takes part, who
would plan and who would deliver the service, who should benefit, and optionally the stages at
which citizens take part and the country. Each published case scores the weight of every
criterion it meets (`CRITERIA`, explained on the page under "How we rank"); ties go to the
stronger evidence, then the newer case. The criteria are masks over the facet index
(facetindex.Snapshot, which also ranks a case page's related cases), so ranking 100,000 cases is
a few array operations, and the reasons shown for a case are the criteria it met.
"""

import dataclasses

import numpy as np
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalogue import vocabulary as v

RESULTS = 10  # the cases shown


@dataclasses.dataclass(frozen=True)
class Criterion:
    key: str
    weight: int
    explanation: str  # for "How we rank" (translated lazily)


CRITERIA = [
    Criterion("area", 3, _("It works in at least one of the service areas you chose.")),
    Criterion(
        "cell",
        3,
        _(
            "It is in the same cell of the matrix: the same people plan it and the same people "
            "deliver it as in your answers."
        ),
    ),
    Criterion("planning", 1, _("Its planners are the ones you chose, though its cell differs.")),
    Criterion("delivery", 1, _("Its deliverers are the ones you chose, though its cell differs.")),
    Criterion(
        "type",
        2,
        _("Its benefits go where you want them to: to the people who take part, or wider."),
    ),
    Criterion("producer", 1, _("At least one of the groups of people you named takes part in it.")),
    Criterion("phase", 1, _("Citizens take part at a stage you chose (if you chose any).")),
    Criterion("country", 1, _("It is in the country you chose (if you chose one).")),
]
WEIGHTS = {criterion.key: criterion.weight for criterion in CRITERIA}
TIE_BREAKS = _("Cases with the same score are listed strongest evidence first, then newest first.")


@dataclasses.dataclass(frozen=True)
class Situation:
    """A practitioner's answers, as slugs of the classification."""

    areas: tuple
    producers: tuple
    planning: str
    delivery: str
    benefits: tuple
    phases: tuple = ()
    country: str = ""

    @property
    def cell(self):
        return v.cell_for(self.planning, self.delivery)


def criteria_masks(snapshot, situation):
    """{criterion key: bool array over the snapshot's cases}: which cases meet each criterion."""
    same_planning = snapshot.equal("planning", situation.planning)
    same_delivery = snapshot.equal("delivery", situation.delivery)
    cell = same_planning & same_delivery
    wanted = snapshot.nothing()
    for benefit in situation.benefits:
        wanted |= snapshot.columns[benefit]
    return {
        "area": snapshot.sharing("area", situation.areas),
        "cell": cell,
        "planning": same_planning & ~cell,
        "delivery": same_delivery & ~cell,
        "type": wanted,
        "producer": snapshot.sharing("producer", situation.producers),
        "phase": snapshot.sharing("phase", situation.phases),
        "country": snapshot.equal("country", situation.country)
        if situation.country
        else snapshot.nothing(),
    }


def scores(masks, size):
    """Each case's score: the sum of the weights of the criteria it meets."""
    total = np.zeros(size, dtype=np.int16)
    for key, mask in masks.items():
        total += WEIGHTS[key] * mask.astype(np.int16)
    return total


@dataclasses.dataclass
class Ranked:
    case_id: int
    score: int
    met: list  # the keys of the criteria it meets, in the order of CRITERIA


def rank(snapshot, situation, limit=RESULTS):
    """The best `limit` cases for the situation (none that meets no criterion), best first."""
    if not len(snapshot):
        return []
    masks = criteria_masks(snapshot, situation)
    total = scores(masks, len(snapshot))
    # Only the cases scoring at least the limit-th best score can be shown: sort those alone.
    kth = int(np.partition(total, -limit)[-limit]) if len(total) > limit else 0
    candidates = np.flatnonzero(total >= max(kth, 1))
    # np.lexsort sorts by its last key first: score, then evidence, then publication time.
    order = candidates[
        np.lexsort(
            (
                -snapshot.published[candidates],
                -snapshot.columns["evidence_level"][candidates].astype(np.int16),
                -total[candidates],
            )
        )
    ]
    top = order[:limit].tolist()
    return [
        Ranked(
            int(snapshot.ids[at]),
            int(total[at]),
            [c.key for c in CRITERIA if masks[c.key][at]],
        )
        for at in top
    ]


@dataclasses.dataclass
class Match:
    """A ranked case, with why it matched and what differs from the situation, in words."""

    case: object
    score: int
    reasons: list
    differences: list


def _names(terms):
    return ", ".join(str(term.label) for term in terms)


def _benefits(values):
    """Who benefits, in words: "individual", "collective", or both in the order given."""
    if list(values) == ["individual", "collective"]:
        return gettext("individual and collective")
    if list(values) == ["collective", "individual"]:
        return gettext("collective and individual")
    return " and ".join(str(v.Benefit(b).label).lower() for b in values)


def explain(case, ranked, situation):
    """The reasons (one per criterion met, then the evidence level) and differences of a case
    (with its terms loaded) against the situation."""
    met = set(ranked.met)
    areas = list(case.service_areas.all())
    producers = list(case.co_producers.all())
    phases = list(case.phases.all())
    benefits = [b.value for b in case.benefits]
    reasons, differences = [], []
    if "area" in met:
        reasons.append(
            gettext("same service area: %(areas)s")
            % {"areas": _names(a for a in areas if a.slug in situation.areas)}
        )
    else:
        differences.append(gettext("service area: %(areas)s") % {"areas": _names(areas)})
    if "cell" in met:
        reasons.append(gettext("same matrix cell (%(cell)s)") % {"cell": case.cell.short_name})
    else:
        if "planning" in met:
            reasons.append(
                gettext("same planners (%(planners)s)")
                % {"planners": v.SHORT_ANSWERS["planning"][case.planning]}
            )
        if "delivery" in met:
            reasons.append(
                gettext("same deliverers (%(deliverers)s)")
                % {"deliverers": v.SHORT_ANSWERS["delivery"][case.delivery]}
            )
        differences.append(
            gettext("matrix cell: %(short_name)s (%(name)s)")
            % {"short_name": case.cell.short_name, "name": case.cell.name}
        )
    shared = [b for b in benefits if b in situation.benefits]
    if "type" in met:
        reasons.append(_benefits(shared))
    else:
        differences.append(gettext("benefits: %(benefits)s") % {"benefits": _benefits(benefits)})
    if "producer" in met:
        reasons.append(
            gettext("same people take part: %(producers)s")
            % {"producers": _names(p for p in producers if p.slug in situation.producers)}
        )
    else:
        differences.append(
            gettext("people who take part: %(producers)s") % {"producers": _names(producers)}
        )
    if situation.phases:
        if "phase" in met:
            reasons.append(
                gettext("same stage: %(phases)s")
                % {"phases": _names(p for p in phases if p.slug in situation.phases)}
            )
        else:
            differences.append(gettext("stages: %(phases)s") % {"phases": _names(phases)})
    if situation.country:
        if "country" in met:
            reasons.append(gettext("in %(country)s") % {"country": case.country.name})
        else:
            differences.append(gettext("in %(country)s") % {"country": case.country.name})
    reasons.append(gettext("evidence level %(level)s") % {"level": case.evidence_level})
    return Match(case, ranked.score, reasons, differences)


def matches(snapshot, situation, cases_by_id, limit=RESULTS):
    """The ranked cases in words; `cases_by_id` loads the ranked ids (with their terms)."""
    ranked = rank(snapshot, situation, limit)
    cases = {case.pk: case for case in cases_by_id([r.case_id for r in ranked])}
    # A case unpublished since the snapshot was read is left out.
    return [explain(cases[r.case_id], r, situation) for r in ranked if r.case_id in cases]
