from django.urls import path

from distribution import views

app_name = "distribution"

urlpatterns = [
    path("", views.signup, name="signup"),
    path("check-your-inbox/", views.check_inbox, name="check-inbox"),
    path("confirm/<str:token>/", views.confirmation, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe_page, name="unsubscribe"),
]
