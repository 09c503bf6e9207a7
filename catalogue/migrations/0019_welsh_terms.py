"""Names and descriptions of the service areas and co-producers in Welsh. The seed vocabulary's
terms get theirs (as in fixtures/vocabularies.json) where an editor has not already given one."""

from django.db import migrations, models

WELSH = {
    ("servicearea", "adult-social-care"): ("Gofal cymdeithasol i oedolion", ""),
    ("servicearea", "children-and-families"): ("Plant a theuluoedd", ""),
    ("servicearea", "community-safety"): ("Diogelwch cymunedol", ""),
    ("servicearea", "culture-and-leisure"): ("Diwylliant a hamdden", ""),
    ("servicearea", "disability"): ("Anabledd", ""),
    ("servicearea", "education"): ("Addysg", ""),
    ("servicearea", "employment"): ("Cyflogaeth a sgiliau", ""),
    ("servicearea", "environment"): ("Yr amgylchedd", ""),
    ("servicearea", "health"): ("Iechyd", ""),
    ("servicearea", "housing"): ("Tai", ""),
    ("servicearea", "justice"): ("Cyfiawnder", ""),
    ("servicearea", "local-economy"): ("Economi leol", ""),
    ("servicearea", "mental-health"): ("Iechyd meddwl", ""),
    ("servicearea", "older-people"): ("Pobl hŷn", ""),
    ("servicearea", "public-budgeting-and-governance"): ("Cyllidebu cyhoeddus a llywodraethu", ""),
    ("servicearea", "regeneration"): ("Adfywio", ""),
    ("servicearea", "transport"): ("Trafnidiaeth", ""),
    ("servicearea", "youth"): ("Ieuenctid", ""),
    ("coproducer", "service-users"): (
        "Defnyddwyr gwasanaethau",
        "Pobl sy'n defnyddio'r gwasanaeth.",
    ),
    ("coproducer", "carers-and-families"): (
        "Gofalwyr a theuluoedd",
        "Gofalwyr di-dâl, perthnasau a ffrindiau defnyddwyr gwasanaethau.",
    ),
    ("coproducer", "volunteers"): (
        "Gwirfoddolwyr",
        "Pobl sy'n rhoi o'u hamser heb fod yn defnyddio'r gwasanaeth.",
    ),
    ("coproducer", "community-groups"): (
        "Grwpiau cymunedol",
        "Cymdeithasau preswylwyr, grwpiau cymdogaeth a grwpiau diddordeb.",
    ),
    ("coproducer", "third-sector"): (
        "Sefydliadau'r trydydd sector",
        "Elusennau, mentrau cymdeithasol, cwmnïau cydweithredol a sefydliadau ffydd.",
    ),
    ("coproducer", "citizens"): (
        "Dinasyddion yn gyffredinol",
        "Preswylwyr neu aelodau o'r cyhoedd sy'n cymryd rhan fel dinasyddion.",
    ),
}


def name_in_welsh(apps, schema_editor):
    for (model, slug), (name, description) in WELSH.items():
        apps.get_model("catalogue", model).objects.filter(slug=slug, name_cy="").update(
            name_cy=name, description_cy=description
        )
    # The cases' searchable text takes the Welsh names too (services.related_text).
    Case = apps.get_model("catalogue", "Case")
    cases = Case.objects.prefetch_related("service_areas", "co_producers", "sources")
    batch = []
    for case in cases.iterator(chunk_size=2000):
        names = [
            f"{t.name} {t.name_cy}".strip()
            for t in (*case.service_areas.all(), *case.co_producers.all())
        ]
        case.related_text = "\n".join([*names, *(s.citation for s in case.sources.all())])
        batch.append(case)
        if len(batch) == 2000:
            Case.objects.bulk_update(batch, ["related_text"])
            batch = []
    Case.objects.bulk_update(batch, ["related_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0018_welsh_texts"),
    ]

    operations = [
        migrations.AddField(
            model_name="coproducer",
            name="description_cy",
            field=models.CharField(blank=True, max_length=300, verbose_name="description in Welsh"),
        ),
        migrations.AddField(
            model_name="coproducer",
            name="name_cy",
            field=models.CharField(blank=True, max_length=100, verbose_name="name in Welsh"),
        ),
        migrations.AddField(
            model_name="servicearea",
            name="description_cy",
            field=models.CharField(blank=True, max_length=300, verbose_name="description in Welsh"),
        ),
        migrations.AddField(
            model_name="servicearea",
            name="name_cy",
            field=models.CharField(blank=True, max_length=100, verbose_name="name in Welsh"),
        ),
        migrations.RunPython(name_in_welsh, migrations.RunPython.noop),
    ]
