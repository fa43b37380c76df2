from django.urls import path

from . import views

app_name = "curriculum"

urlpatterns = [
    path("manage/copy/", views.copy_cohort, name="copy"),
    path("manage/course.yaml", views.course_file, name="course_file"),
]
