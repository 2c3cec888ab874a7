from django.urls import path

from analytics import views

app_name = "analytics"

urlpatterns = [
    path("renewal/", views.renewal_dashboard, name="renewal"),
    path("key-figures/<slug:club>/", views.key_figures, name="key_figures"),
]
