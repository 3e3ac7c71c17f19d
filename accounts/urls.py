from django.contrib.auth.views import LogoutView
from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.two_factor_page, name="two_factor"),
    # The admin's own log-out refuses a session that may not use the admin, such as one enrolling.
    path("sign-out/", LogoutView.as_view(next_page="admin:login"), name="sign_out"),
]
