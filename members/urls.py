from django.urls import path

from . import views

app_name = "members"

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/billing/", views.manage_billing, name="manage_billing"),
    path("account/data/", views.export_data, name="export_data"),
    path("account/delete/", views.delete_account, name="delete_account"),
    path("support/", views.support, name="support"),
    path("support/join/<slug:slug>/", views.join, name="join"),
    path("support/welcome/", views.welcome, name="welcome"),
    path("support/test-checkout/<slug:slug>/", views.test_checkout, name="test_checkout"),
    path("support/test-cancel/", views.test_cancel, name="test_cancel"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("posts/", views.post_list, name="posts"),
    path("posts/<slug:slug>/", views.post_detail, name="post"),
    path("posts/<slug:slug>/files/<int:pk>/", views.post_file, name="post_file"),
]
