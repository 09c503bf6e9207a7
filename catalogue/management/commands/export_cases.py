import contextlib
import json
import sys

from django.core.management.base import BaseCommand

from catalogue import vocabulary as v
from catalogue.interchange import case_document
from catalogue.models import Case
from catalogue.tabular import write_csv


class Command(BaseCommand):
    help = "Export cases as JSON or CSV (docs/case-format.md), in slug order; import_cases reads them back."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("--output", help="File to write (default: standard output).")
        parser.add_argument(
            "--status", default=v.Status.PUBLISHED, help="A status, or 'all' (default: published)."
        )

    def handle(self, *args, format, output, status, **options):
        cases = Case.objects.order_by("slug").for_page()
        if status != "all":
            cases = cases.filter(status=status)
        docs = (case_document(case) for case in cases.iterator(chunk_size=500))
        with contextlib.ExitStack() as stack:
            stream = (
                stack.enter_context(open(output, "w", encoding="utf-8", newline=""))
                if output
                else sys.stdout
            )
            if format == "csv":
                write_csv(docs, stream)
            else:
                stream.write(json.dumps(list(docs), indent=2, ensure_ascii=False) + "\n")
