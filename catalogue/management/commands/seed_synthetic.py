"""Deterministic synthetic cases for measuring performance at scale (never part of the seed catalogue)."""

import random
import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from catalogue import vocabulary as v
from catalogue.cache import bump_catalogue_version
from catalogue.models import Activity, Case, CoProducer, Outcome, Phase, ServiceArea, Source
from catalogue.search import refresh_words

PREFIX = "synthetic-"
PRACTICES = [
    "peer support",
    "participatory budgeting",
    "time bank",
    "community garden",
    "tenant panel",
    "citizen inspection",
    "design workshop",
    "befriending scheme",
    "youth forum",
    "street watch",
    "repair café",
    "community transport",
    "food co-operative",
    "carers' network",
    "health walk",
    "school breakfast club",
    "recycling champions",
    "mentoring programme",
    "citizens' jury",
    "community asset transfer",
]
PLACES = [
    "Aberdeen",
    "Bristol",
    "Cardiff",
    "Derby",
    "Exeter",
    "Glasgow",
    "Hull",
    "Leeds",
    "Luton",
    "Norwich",
    "Oldham",
    "Swansea",
    "Wrexham",
    "York",
    "Bergen",
    "Bremen",
    "Dortmund",
    "Oslo",
    "Trondheim",
    "Utrecht",
    "Porto",
    "Lyon",
    "Basel",
    "Denver",
]
COMMON = [
    "community",
    "service",
    "residents",
    "council",
    "support",
    "local",
    "people",
    "volunteers",
    "care",
    "health",
    "group",
    "public",
    "partnership",
    "families",
    "young",
    "older",
    "housing",
    "safety",
    "neighbourhood",
    "services",
    "staff",
    "users",
]
# Rarer words, each in a small share of cases, so searches span common and rare terms.
RARE = [
    "kestrel",
    "lighthouse",
    "marmalade",
    "quarry",
    "tapestry",
    "orchard",
    "fjord",
    "heron",
    "lantern",
    "meadow",
    "saffron",
    "windmill",
    "cobbler",
    "harbour",
    "juniper",
    "pewter",
    "thistle",
    "velvet",
    "walnut",
    "zephyr",
]
FILLER = [
    "the",
    "and",
    "with",
    "of",
    "to",
    "in",
    "for",
    "by",
    "a",
    "an",
    "on",
    "through",
    "together",
    "planned",
    "delivered",
    "shared",
    "improved",
    "outcomes",
    "evidence",
    "trust",
    "decisions",
    "budget",
    "design",
    "review",
    "visits",
    "training",
]


def sentence(rng, words=12, rare_share=0.02):
    out = []
    for _ in range(words):
        roll = rng.random()
        if roll < rare_share:
            out.append(rng.choice(RARE))
        elif roll < 0.45:
            out.append(rng.choice(COMMON))
        else:
            out.append(rng.choice(FILLER))
    return " ".join(out).capitalize() + "."


class Command(BaseCommand):
    help = "Create COUNT deterministic synthetic published cases in the configured database."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--seed", type=int, default=2007)
        parser.add_argument("--batch", type=int, default=2000)
        parser.add_argument(
            "--clear", action="store_true", help="Delete earlier synthetic cases first."
        )

    def handle(self, *args, count, seed, batch, clear, **options):
        started = time.monotonic()
        if clear:
            deleted = Case.objects.filter(slug__startswith=PREFIX).delete()[0]
            self.stdout.write(f"Deleted {deleted} synthetic rows.")
        rng = random.Random(seed)
        phases = list(Phase.objects.all())
        activities = {a.slug: a for a in Activity.objects.all()}
        areas = list(ServiceArea.objects.all())
        producers = list(CoProducer.objects.all())
        cells = [c for c in v.MATRIX.values() if not c.refused]
        first = Case.objects.filter(slug__startswith=PREFIX).count()
        now = timezone.now()
        for offset in range(first, first + count, batch):
            size = min(batch, first + count - offset)
            with transaction.atomic():
                self._batch(rng, offset, size, now, phases, activities, areas, producers, cells)
            self.stdout.write(f"\r{offset + size - first}/{count} cases", ending="")
            self.stdout.flush()
        if connection.vendor == "postgresql":
            # As autovacuum leaves a table some time after a bulk load: the planner's statistics,
            # and each page marked all-visible, so that reads neither check nor write it again
            # (measured straight after loading 100,000 cases, case pages took 96 ms at p95, not
            # 26). VACUUM cannot run in a transaction (a test's): there, statistics only.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        bump_catalogue_version()  # bulk inserts send no signals: invalidate cached counts here
        refresh_words()
        self.stdout.write(
            f"\nCreated {count} synthetic cases in {time.monotonic() - started:.0f} s."
        )

    def _batch(self, rng, offset, size, now, phases, activities, areas, producers, cells):
        cases, links, texts = [], [], []
        for n in range(offset, offset + size):
            practice, place = rng.choice(PRACTICES), rng.choice(PLACES)
            cell = rng.choice(cells)
            individual = rng.random() < 0.6
            start = rng.randint(1985, 2024)
            ongoing = rng.random() < 0.4
            statement = sentence(rng, 10)
            texts.append(statement)
            cases.append(
                Case(
                    slug=f"{PREFIX}{n:06d}",
                    title=f"{practice.capitalize()} in {place} {n}",
                    summary=sentence(rng, 18),
                    description=" ".join(sentence(rng, 20) for _ in range(4)),
                    country=rng.choice(
                        ["GB", "GB", "GB", "DE", "NO", "NL", "FR", "US", "BR", "CH"]
                    ),
                    locality=place,
                    lead_organisations=f"{place} Council",
                    start_year=start,
                    end_year=None
                    if ongoing or rng.random() < 0.5
                    else min(start + rng.randint(0, 8), 2026),
                    ongoing=ongoing,
                    planning=cell.planning,
                    delivery=cell.delivery,
                    individual=individual,
                    collective=not individual or rng.random() < 0.4,
                    evidence_level=rng.choices(range(6), weights=[30, 30, 20, 10, 6, 4])[0],
                    evidence_direction=rng.choice(v.Direction.values),
                    evaluation_design=rng.choice(v.EvaluationDesign.values),
                    evidence_rationale=sentence(rng, 12),
                    evidence_confirmed=True,
                    outcome_text=statement,
                    status=v.Status.PUBLISHED,
                    published_at=now - timedelta(minutes=n),
                )
            )
            chosen_phases = rng.sample(phases, rng.randint(1, 3))
            links.append(
                (
                    chosen_phases,
                    [
                        activities[a]
                        for a in v.ACTIVITY_PHASE
                        if v.ACTIVITY_PHASE[a] == chosen_phases[0].slug
                    ][:1],
                    rng.sample(areas, rng.randint(1, 3)),
                    rng.sample(producers, rng.randint(1, 2)),
                )
            )
        Case.objects.bulk_create(cases)
        if connection.vendor != "postgresql":
            # SQLite's bulk_create does not return ids for all backends' versions: fetch them.
            ids = dict(
                Case.objects.filter(slug__in=[c.slug for c in cases]).values_list("slug", "id")
            )
            for case in cases:
                case.id = ids[case.slug]
        through = {
            "phases": Case.phases.through,
            "activities": Case.activities.through,
            "service_areas": Case.service_areas.through,
            "co_producers": Case.co_producers.through,
        }
        rows = {key: [] for key in through}
        for case, (ph, act, ar, pr) in zip(cases, links, strict=True):
            rows["phases"] += [through["phases"](case_id=case.id, phase_id=p.id) for p in ph]
            rows["activities"] += [
                through["activities"](case_id=case.id, activity_id=a.id) for a in act
            ]
            rows["service_areas"] += [
                through["service_areas"](case_id=case.id, servicearea_id=a.id) for a in ar
            ]
            rows["co_producers"] += [
                through["co_producers"](case_id=case.id, coproducer_id=p.id) for p in pr
            ]
        for key, objects in rows.items():
            through[key].objects.bulk_create(objects)
        Outcome.objects.bulk_create(
            Outcome(case_id=c.id, statement=t, benefit_group=v.BenefitGroup.CITIZENS)
            for c, t in zip(cases, texts, strict=True)
        )
        Source.objects.bulk_create(
            Source(
                case_id=c.id,
                citation=f"Synthetic source for {c.title}.",
                kind=v.SourceKind.OTHER,
                year=2020,
            )
            for c in cases
        )
