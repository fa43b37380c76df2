from django.apps import AppConfig


class CurriculumConfig(AppConfig):
    name = "curriculum"
    verbose_name = "Curriculum"

    def ready(self):
        from . import pages  # noqa: F401  (registers the cohort page's "Run it again")
