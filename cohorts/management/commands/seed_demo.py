from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from cohorts import demo
from cohorts.models import Cohort


class Command(BaseCommand):
    help = "Create the demo cohorts and accounts. Running it again changes nothing."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds a cohort (used by `make run`).",
        )

    def handle(self, *args, if_empty=False, **options):
        if if_empty and Cohort.objects.exists():
            self.stdout.write("The database already has cohorts; demo data left alone.")
            return
        for make in (demo.seed, demo.seed_workshop):
            with transaction.atomic():
                cohort, created = make()
                if created:
                    # Other apps add their part of the demo through <app>.demo.seed(cohort).
                    for config in apps.get_app_configs():
                        if config.name != "cohorts" and find_spec(f"{config.name}.demo"):
                            import_module(f"{config.name}.demo").seed(cohort)
            verb = "Created" if created else "Already there:"
            self.stdout.write(
                self.style.SUCCESS(f"{verb} demo cohort “{cohort.title}” (/c/{cohort.slug}/).")
            )
