"""The Atom feed of a search: `/feeds/cases/` with any of the case list's parameters.

The feed reads its parameters through the list's own CaseFilter, so a feed and the list it was
followed from hold the same cases; it gives the newest FEED_SIZE of them, newest first whatever
the list's `sort`, and ignores `page`. A parameter that cannot be read is ignored, as on the list,
and the feed's subtitle (and the X-Catalogue-Notice header, as on the exports) says so.
"""

from dataclasses import dataclass, field

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from catalogue.facets import chips
from catalogue.filters import CaseFilter
from catalogue.models import Case
from catalogue.opendata import _open
from catalogue.text import clean_text

FEED_SIZE = 50
NAME = "Co-production Case Catalogue"
ABOUT = "Case studies of public services that citizens plan, design, deliver or assess with professionals."
# Parameters of the list that do not choose cases: the feed is always its first, newest entries.
NOT_FOLLOWED = ("page", "sort")


def followed_parameters(params):
    """The list's parameters that choose cases (without `page` and `sort`), as a QueryDict."""
    params = params.copy()
    for name in NOT_FOLLOWED:
        params.pop(name, None)
    return params


@dataclass
class Search:
    """What a feed follows: the filterset of its parameters, and the words that describe them."""

    request: object
    params: object
    filterset: object
    described: list = field(default_factory=list)
    notices: list = field(default_factory=list)

    @classmethod
    def of(cls, request):
        params = followed_parameters(request.GET)
        data = params.copy()
        data["sort"] = "newest"
        filterset = CaseFilter(data, queryset=Case.objects.published())
        described = [chip.label for chip in chips([], filterset)]
        notices = filterset.error_messages() + filterset.search_notes()
        return cls(request, params, filterset, described, notices)

    def absolute(self, path, with_params=True):
        query = self.params.urlencode() if with_params else ""
        return self.request.build_absolute_uri(f"{path}?{query}" if query else path)

    def newest(self):
        """The newest matching published cases, newest first, with their terms."""
        snapshot = self.filterset.snapshot
        ids = snapshot.page(self.filterset.matching(), snapshot.newest, 0, FEED_SIZE)
        return snapshot.with_terms(Case.objects.in_order(ids))


def describe(described):
    """The chosen filters in words, as the list's chips name them, within a sentence:
    "phase: Co-assessment; service area: Health"."""
    return "; ".join(clean_text(text[:1].lower() + text[1:]) for text in described)


class CasesFeed(Feed):
    """Atom feed of the newest published cases a search of the case list gives."""

    feed_type = Atom1Feed
    author_name = NAME

    def __init__(self, search=None):
        self.search = search

    def __call__(self, request, *args, **kwargs):
        if self.search is None:
            # The route's feed is shared by every request: each gets a feed of its own search.
            search = Search.of(request)
            return _open(type(self)(search)(request, *args, **kwargs), search.notices)
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request, *args, **kwargs):
        return self.search

    def title(self, search):
        if not search.described:
            return f"{NAME}: newly published cases"
        return f"{NAME}: cases with {describe(search.described)}"

    def subtitle(self, search):
        parts = [ABOUT]
        if search.described:
            parts.append(f"Following the cases with {describe(search.described)}.")
        else:
            parts.append("Following every published case.")
        parts.append(f"The newest {FEED_SIZE} published cases that match, newest first.")
        parts += [clean_text(notice) for notice in search.notices]
        return " ".join(parts)

    def link(self, search):
        return search.absolute(reverse("case_list"))

    def feed_url(self, search):
        return search.absolute(reverse("feed"))

    def feed_guid(self, search):
        return self.feed_url(search)

    def items(self, search):
        return search.newest()

    # XML cannot carry most control characters: one stored in a case must not break the feed.
    def item_title(self, case):
        return clean_text(case.title)

    def item_description(self, case):
        return clean_text(case.summary)

    def item_link(self, case):
        return self.search.absolute(case.get_absolute_url(), with_params=False)

    def item_guid(self, case):
        return self.item_link(case)

    def item_pubdate(self, case):
        return case.published_at

    def item_updateddate(self, case):
        return case.updated_at

    def item_categories(self, case):
        return [str(p.label) for p in case.phases.all()]
