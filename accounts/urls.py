from django.urls import path

from accounts import views

urlpatterns = [
    path("two-factor/", views.two_factor_home, name="two_factor"),
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/enrol/", views.two_factor_enrol, name="two_factor_enrol"),
    path("two-factor/recovery-codes/", views.two_factor_recovery, name="two_factor_recovery"),
    path("two-factor/remove/", views.two_factor_remove, name="two_factor_remove"),
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
