"""Search alerts: "Email me new cases like these" on the case list.

A reader gives an address and how often (daily or weekly) for the list's current search; the
catalogue e-mails a confirmation link (double opt-in) and, once confirmed, a digest of the cases
published since the last one that match the search, each with a one-click unsubscribe link.
No account: the private link is the key. The search is kept as the list's parameters that choose
cases, read through the list's own CaseFilter (only valid ones kept, in one order: `normalised`),
so a digest and the list it came from hold the same cases. The writes are in services.py
(`alert_subscribe`, `alert_confirm`, `alert_unsubscribe`, `alerts_send_due`, run daily by
`manage.py send_alerts`); the guards are the other public forms' (guards.py).
"""

from django import forms
from django.conf import settings
from django.core import signing
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalogue import guards, services
from catalogue.dimensions import DIMENSIONS
from catalogue.facets import chips, chosen
from catalogue.feeds import describe
from catalogue.filters import CaseFilter
from catalogue.models import Case, SearchAlert
from catalogue.submission import error_list
from catalogue.text import clean_text

STARTED_SALT = "catalogue.alert.started"
DIGEST_SIZE = 20  # cases listed in one digest; the rest are counted and linked to the list


class Search:
    """A search of the list, normalised: its parameters that choose cases, each valid one with
    its values sorted, and the chips' words that describe it."""

    def __init__(self, params):
        data = QueryDict(mutable=True)
        for dimension in DIMENSIONS:
            if dimension.param in params:
                data.setlist(dimension.param, params.getlist(dimension.param))
        self.filterset = CaseFilter(data, queryset=Case.objects.published())
        kept = QueryDict(mutable=True)
        for dimension in DIMENSIONS:
            if dimension.param == "q":
                values = [self.filterset.query] if self.filterset.query else []
            else:
                values = sorted(chosen(self.filterset, dimension))
            if values:
                kept.setlist(dimension.param, values)
        self.query = kept.urlencode()
        self.ignored = self.filterset.error_messages()
        self.described = [chip.label for chip in chips([], self.filterset)]

    @classmethod
    def of_alert(cls, alert):
        return cls(QueryDict(alert.query))

    def in_words(self):
        """The search in a sentence's words: "phase: Co-design; evidence at least: 2", in the
        current language."""
        return describe(self.described) if self.described else gettext("all cases")

    def list_url(self):
        """The list of the search at the site's public address, in the current language."""
        path = reverse("case_list")
        return f"{settings.SITE_URL}{path}?{self.query}" if self.query else settings.SITE_URL + path

    def published_since(self, since):
        """The published cases matching the search, published after `since`, newest first."""
        data = QueryDict(self.query, mutable=True)
        data["sort"] = "newest"
        filterset = CaseFilter(data, queryset=Case.objects.published())
        filterset.exact = True  # a search nothing matches yet is not widened to any of its words
        cases = filterset.qs
        return cases.filter(published_at__gt=since) if since else cases


class AlertForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_(
            "Only used for these e-mails. It is never shown or shared, and it is deleted "
            "when you unsubscribe."
        ),
    )
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=SearchAlert.Frequency.choices,
        initial=SearchAlert.Frequency.WEEKLY,
        widget=forms.RadioSelect,
        help_text=_("An e-mail is sent only when new cases have been published."),
    )

    def clean_email(self):
        email = self.cleaned_data["email"]
        if clean_text(email) != email:
            raise forms.ValidationError(
                gettext("Enter an email address without special characters.")
            )
        return email.lower()


def alert_new(request):
    """/alerts/new/?<the list's parameters>: the search in words and the form to subscribe."""
    search = Search(request.GET)
    form = AlertForm(request.POST or None)
    refusal, wait, status = "", 0, 200
    if request.method == "POST":
        refusal, wait, status = guards.refusal(
            request, "alert", settings.ALERT_RATE, "alerts", started=started(request)
        )
        if not refusal and form.is_valid():
            services.alert_subscribe(query=search.query, **form.cleaned_data)
            guards.count_accepted(request, "alert", settings.ALERT_RATE)
            return redirect("alert_sent")
    return render(
        request,
        "alerts/new.html",
        {
            "search": search,
            "form": form,
            "error_list": [] if refusal else error_list(form),
            "refusal": refusal,
            "retry": guards.retry(wait),
            "started": signing.dumps(guards.time.time(), salt=STARTED_SALT),
        },
        status=status,
    )


def started(request):
    """When the visitor opened the form, from its signed hidden field; 0 (too fast) if missing
    or altered."""
    try:
        return float(signing.loads(request.POST.get("started", ""), salt=STARTED_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return 0.0


def alert_sent(request):
    """After subscribing: check your inbox."""
    return render(request, "alerts/sent.html")


def alert_for_token_or_404(token):
    alert = services.alert_for_token(token)
    if alert is None:
        raise Http404("This link is not (or no longer) valid")
    return alert


def alert_confirm(request, token):
    """The confirmation link: a button that starts the alert (a link scanner's visit does not)."""
    alert = alert_for_token_or_404(token)
    if request.method == "POST":
        services.alert_confirm(alert=alert)
        return render(request, "alerts/confirmed.html", {"alert": alert})
    return render(
        request,
        "alerts/confirm.html",
        {"alert": alert, "search": Search.of_alert(alert)},
    )


def alert_unsubscribe(request, token):
    """The unsubscribe link of every e-mail: one button, which deletes the alert and its address."""
    alert = alert_for_token_or_404(token)
    if request.method == "POST":
        services.alert_unsubscribe(alert=alert)
        return render(request, "alerts/unsubscribed.html")
    return render(
        request,
        "alerts/unsubscribe.html",
        {"alert": alert, "search": Search.of_alert(alert)},
    )
