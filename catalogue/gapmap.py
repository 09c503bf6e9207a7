"""The evidence-gap map (/evidence/): how many published cases each phase holds in each cell of
the matrix (or each service area), and how strong their evidence is, under the case list's other
filters (a country, a service area, who benefits, ...).

Counted over the facet index (facetindex.py) with the list's own CaseFilter, so each count is the
count the list gives at the grid cell's link: for each phase, one bincount over combined codes
(column x evidence level) for the matrix cells, one matrix product for the service areas. No
query beyond those the list makes itself, whatever the number of cases.

The two refused cells of the matrix (traditional professional provision, and the impossible
community-planned, professionally-delivered service) hold no case by design, so they are left
out of the grid rather than shown as gaps.
"""

from dataclasses import dataclass, field

import numpy as np
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy, ngettext

from catalogue import vocabulary as v
from catalogue.dimensions import BY_PARAM
from catalogue.filters import CaseFilter
from catalogue.models import Case

# The choice of columns, named as the form offers them (translated when the page is drawn).
VIEWS = {"cell": gettext_lazy("Matrix cells"), "area": gettext_lazy("Service areas")}
# Parameters the grid's own axes set, so the list's value of them is not applied to the map.
AXES = {"cell": ("phase", "planning", "delivery"), "area": ("phase", "area")}
IGNORED = ("sort", "page", "view")  # the list's order and page mean nothing here
LEVELS = [level.value for level in v.EvidenceLevel]
BAR_WIDTH = 100  # the SVG bar's width in its own units: the fullest grid cell fills it


@dataclass
class Column:
    """One column of the grid: a matrix cell or a service area."""

    value: str
    label: str
    detail: str  # a short second line: who plans and delivers, for a matrix cell
    params: dict  # the list parameters that choose it


@dataclass
class Segment:
    level: int
    x: float
    width: float


@dataclass
class Mark:
    """One cell of the grid: a phase in a column."""

    count: int
    by_level: list  # [(level, number of cases)], strongest first, levels with cases only
    href: str
    segments: list = field(default_factory=list)

    @property
    def gap(self):
        return self.count == 0

    @property
    def text(self):
        """The mark in words: "3 cases: 1 at level 2, 2 at level 1", in the page's language."""
        if not self.count:
            return gettext("No cases: a gap")
        levels = ", ".join(
            gettext("%(number)s at level %(level)s") % {"number": n, "level": level}
            for level, n in self.by_level
        )
        return ngettext("%(count)s case: %(levels)s", "%(count)s cases: %(levels)s", self.count) % {
            "count": self.count,
            "levels": levels,
        }


@dataclass
class GapMap:
    view: str
    columns: list
    rows: list  # [(phase, [Mark for each column])]
    filterset: object
    notices: list  # parameters that were not understood (the list's messages)
    not_applied: list  # labels of list parameters the grid's axes set instead
    kept: QueryDict  # the valid filters, as the links carry them

    @property
    def gaps(self):
        return sum(mark.gap for _, marks in self.rows for mark in marks)

    @property
    def cells(self):
        return sum(len(marks) for _, marks in self.rows)


def gap_map(query):
    """The map for the given parameters (a QueryDict: the list's, and `view`)."""
    notices = []
    view = query.get("view") or "cell"
    if view not in VIEWS:
        notices.append(
            gettext(
                "View: “%(view)s” was not understood and has been ignored (choose "
                "cell or area); showing matrix cells."
            )
            % {"view": view[:40]}
        )
        view = "cell"
    data = query.copy()
    not_applied = []
    for name in (*AXES[view], *IGNORED):
        if name in data:
            if name in AXES[view] and any(data.getlist(name)):
                not_applied.append(BY_PARAM[name].label)
            del data[name]
    for name in list(data):  # only the list's parameters: anything else means nothing to it
        if name not in BY_PARAM:
            del data[name]
    filterset = CaseFilter(data, queryset=Case.objects.published())
    notices += filterset.error_messages()
    kept = QueryDict(mutable=True)
    for name in data:
        if filterset.is_valid_field(name):
            kept.setlist(name, filterset.data.getlist(name))
    columns = cell_columns() if view == "cell" else area_columns(filterset.snapshot)
    counts = _counts(filterset, view, columns)
    rows = [
        (
            phase,
            [
                _mark(counts[i, j], _href(kept, phase.value, column))
                for j, column in enumerate(columns)
            ],
        )
        for i, phase in enumerate(v.Phase)
    ]
    _scale(rows)
    return GapMap(view, columns, rows, filterset, notices, not_applied, kept)


def cell_columns():
    """The matrix cells that can hold a case, in the matrix's order."""
    return [
        Column(
            cell.slug,
            cell.name,
            cell.short_name,
            {"planning": cell.planning, "delivery": cell.delivery},
        )
        for cell in v.MATRIX.values()
        if not cell.refused
    ]


def area_columns(snapshot):
    """Every service area, in the vocabulary's order."""
    return [
        Column(area.slug, area.label, "", {"area": area.slug})
        for area in snapshot.term_objects["area"]
    ]


def _counts(filterset, view, columns):
    """An array phases x columns x evidence levels of the number of matching cases."""
    snapshot = filterset.snapshot
    matching = filterset.matching()
    levels = snapshot.columns["evidence_level"].astype(np.int64).clip(0, len(LEVELS) - 1)
    phases, phase_matrix = snapshot.terms["phase"]
    result = np.zeros((len(v.Phase), len(columns), len(LEVELS)), dtype=np.int64)
    if view == "cell":
        codes = _cell_codes(snapshot, columns) * len(LEVELS) + levels
        size = (len(columns) + 1) * len(LEVELS)  # the last column: cases in no shown cell
    else:
        areas, area_matrix = snapshot.terms["area"]
        at = {slug: i for i, slug in enumerate(areas)}
        held = [j for j, column in enumerate(columns) if column.value in at]
        area_matrix = area_matrix[:, [at[columns[j].value] for j in held]].astype(np.int64)
        one_hot = np.eye(len(LEVELS), dtype=np.int64)[levels]
    for i, phase in enumerate(v.Phase):
        if phase.value not in phases:
            continue
        mask = matching & phase_matrix[:, phases.index(phase.value)]
        if view == "cell":
            found = np.bincount(codes[mask], minlength=size).reshape(-1, len(LEVELS))
            result[i] = found[: len(columns)]
        elif held:
            result[i, held] = area_matrix[mask].T @ one_hot[mask]
    return result


def _cell_codes(snapshot, columns):
    """Each case's column among the given matrix cells (len(columns) if none)."""
    planning, delivery = snapshot.labels.get("planning", []), snapshot.labels.get("delivery", [])
    table = np.full((max(len(planning), 1), max(len(delivery), 1)), len(columns), dtype=np.int64)
    for j, column in enumerate(columns):
        p, d = column.params["planning"], column.params["delivery"]
        if p in planning and d in delivery:
            table[planning.index(p), delivery.index(d)] = j
    if not len(snapshot):
        return np.zeros(0, dtype=np.int64)
    return table[snapshot.columns["planning"], snapshot.columns["delivery"]]


def _href(kept, phase, column):
    """The case list with the map's filters, the phase and the column."""
    params = kept.copy()
    params.setlist("phase", [phase])
    for name, value in column.params.items():
        params.setlist(name, [value])
    return f"{reverse('case_list')}?{params.urlencode()}"


def _mark(per_level, href):
    by_level = [(level, int(per_level[level])) for level in reversed(LEVELS) if per_level[level]]
    return Mark(int(per_level.sum()), by_level, href)


def _scale(rows):
    """Each mark's bar: one segment per level, weakest evidence first, the fullest mark of the
    grid filling the bar."""
    fullest = max((mark.count for _, marks in rows for mark in marks), default=0)
    for _, marks in rows:
        for mark in marks:
            x = 0.0
            for level, n in reversed(mark.by_level):
                width = round(BAR_WIDTH * n / fullest, 2)
                mark.segments.append(Segment(level, round(x, 2), width))
                x += width
