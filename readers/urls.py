from django.urls import path

from readers import views

app_name = "readers"

urlpatterns = [
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-in/sent/", views.sign_in_sent, name="sign-in-sent"),
    path("sign-in/<str:token>/", views.sign_in_link, name="sign-in-link"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("", views.account, name="account"),
]
