from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.db.models.signals import m2m_changed, post_delete, post_save


class CatalogueConfig(AppConfig):
    name = "catalogue"
    verbose_name = "Catalogue"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from catalogue.cache import bump_catalogue_version
        from catalogue.models import Case, CoProducer, ServiceArea, SynonymGroup

        # Cached counts are keyed by a catalogue version: any change to a case, a term or the
        # search thesaurus bumps it.
        for model in (Case, ServiceArea, CoProducer, SynonymGroup):
            post_save.connect(
                bump_catalogue_version, sender=model, dispatch_uid=f"bump-save-{model.__name__}"
            )
            post_delete.connect(
                bump_catalogue_version, sender=model, dispatch_uid=f"bump-delete-{model.__name__}"
            )
        for relation in (Case.phases, Case.service_areas, Case.co_producers, Case.activities):
            m2m_changed.connect(
                bump_catalogue_version,
                sender=relation.through,
                dispatch_uid=f"bump-{relation.field.name}",
            )


@checks.register(checks.Tags.caches, deploy=True)
def shared_cache(app_configs, **kwargs):
    """Production needs one cache for all workers: with a per-process cache, a withdrawn case
    would stay on other workers' pages until their copy expires."""
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        return [
            checks.Error(
                "The cache is per process, so workers do not see each other's changes.",
                hint="Set REDIS_URL (docs/deployment.md).",
                id="catalogue.E001",
            )
        ]
    return []
