from django.urls import path

from . import evaluation_views, views

app_name = "courses"

urlpatterns = [
    path("", views.course_list, name="list"),
    path("<slug:slug>/", views.course_detail, name="detail"),
    path("<slug:slug>/enrol/", views.enrol, name="enrol"),
    path("<slug:slug>/notify/", views.notify, name="notify"),
    path("<slug:slug>/buy/", views.buy, name="buy"),
    path("<slug:slug>/bought/", views.bought, name="bought"),
    path("<slug:slug>/lessons/<slug:lesson_slug>/", views.lesson, name="lesson"),
    path("<slug:slug>/lessons/<slug:lesson_slug>/video/", views.lesson_video, name="lesson_video"),
    path("<slug:slug>/lessons/<slug:lesson_slug>/captions.vtt", views.lesson_captions, name="lesson_captions"),
    path("<slug:slug>/lessons/<slug:lesson_slug>/handouts/<int:pk>/", views.handout, name="handout"),
    path("<slug:slug>/lessons/<slug:lesson_slug>/progress/", views.lesson_progress, name="lesson_progress"),
]

# After the lessons: evaluation, post-test and certificates (courses/evaluation_views.py).
urlpatterns += [
    path("<slug:slug>/evaluation/", evaluation_views.evaluation, name="evaluation"),
    path("<slug:slug>/test/", evaluation_views.post_test, name="test"),
    path("<slug:slug>/test/result/", evaluation_views.test_result, name="test_result"),
    path("<slug:slug>/certificate/", evaluation_views.certificate, name="certificate"),
    path("certificates/<str:code>/", evaluation_views.verify, name="verify"),
    path("certificates/<str:code>/pdf/", evaluation_views.certificate_pdf, name="certificate_pdf"),
]
