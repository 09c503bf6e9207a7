"""Spam and abuse guards on the public forms: a honeypot field, a minimum fill time for new
submissions, and per-address limits on accepted forms (django-ratelimit). Refused forms keep
what was typed; the views say when the form may be sent again."""

import ipaddress
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import get_usage

# A field hidden from people (templates/includes/honeypot.html): only programs fill it in.
HONEYPOT = "website"


def client_network(request):
    """The network a request comes from, as every limit counts it (django-ratelimit calls this
    through RATELIMIT_IP_META_KEY): the address in the proxy's header (settings.CLIENT_IP_HEADER,
    from DJANGO_CLIENT_IP_HEADER), or the connection's (REMOTE_ADDR) when that header is missing
    or not an address; IPv6 by /64 network. Never an error, whatever the header holds."""
    header = settings.CLIENT_IP_HEADER
    for raw in [request.META.get(header) if header else None, request.META.get("REMOTE_ADDR")]:
        # A proxy may send a list: the client is the last address it added.
        text = str(raw or "").split(",")[-1].strip()
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            continue
        mask = settings.RATELIMIT_IPV6_MASK if address.version == 6 else 32
        return str(ipaddress.ip_network(f"{address}/{mask}", strict=False).network_address)
    return "0.0.0.0"  # no usable address at all: such requests share one allowance


def tripped_honeypot(request):
    return bool(request.POST.get(HONEYPOT))


def filled_too_fast(started):
    """Whether a form begun at `started` (a timestamp) was sent faster than a person could."""
    return time.time() - started < settings.SUBMISSION_MIN_SECONDS


@dataclass(frozen=True)
class Retry:
    at: datetime  # local time, rounded up to the minute, so "after 14:05" is never too early
    minutes: int


def retry(wait):
    """When a refused form may be sent again, `wait` seconds from now; None without a wait."""
    if not wait:
        return None
    moment = datetime.fromtimestamp(time.time() + wait, tz=UTC)
    if moment.second or moment.microsecond:
        moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return Retry(timezone.localtime(moment), math.ceil(wait / 60))


def seconds_until_allowed(request, group, rate):
    """0 if this address may send another form of this kind now, else how many seconds until it
    may (the real end of django-ratelimit's current window). Only accepted forms count."""
    usage = get_usage(request, group=group, key="ip", rate=rate, method="POST")
    if usage is None or usage["count"] < usage["limit"]:
        return 0
    # A negative time left means the cache could not be read: ask for a few minutes.
    return usage["time_left"] if usage["time_left"] > 0 else 300


def count_accepted(request, group, rate):
    """Count one accepted form against this address's allowance."""
    get_usage(request, group=group, key="ip", rate=rate, method="POST", increment=True)


# What a network that has sent its hour's allowance of a kind of form is told, by the kind
# (`refusal`'s `what`).
LIMIT_REACHED = {
    "reports": _(
        "Your network has sent the most reports the catalogue accepts in an hour, so this one "
        "has not been sent yet."
    ),
    "alerts": _(
        "Your network has sent the most alerts the catalogue accepts in an hour, so this one "
        "has not been sent yet."
    ),
}


def refusal(request, group, rate, what, started=None):
    """Why a posted form is refused, as (message, seconds to wait, HTTP status), or ("", 0, 200)
    if it may be accepted: the honeypot, the fill time when the form says when it was begun
    (`started`), then this address's limit of `what` (a key of LIMIT_REACHED: "reports",
    "alerts") per `rate`. The message is in the current language."""
    if tripped_honeypot(request) or (started is not None and filled_too_fast(started)):
        if started:
            message = gettext(
                "The form was sent faster than a person could fill it in, or contained an answer "
                "in a field that only automated programs fill in, so it has not been sent. "
                "Please send it again."
            )
        else:
            message = gettext(
                "The form contained an answer in a field that only automated programs fill in, "
                "so it has not been sent. Please send it again."
            )
        return message, 0, 400
    if wait := seconds_until_allowed(request, group, rate):
        return str(LIMIT_REACHED[what]), wait, 429
    return "", 0, 200
