from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CatalogueConfig(AppConfig):
    name = "catalogue"
    verbose_name = "Catalogue"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from catalogue.search import install_search_index

        post_migrate.connect(install_search_index, sender=self, dispatch_uid="catalogue-search-index")
