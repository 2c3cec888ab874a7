from django.urls import path

from campaigns.backoffice import campaign_views, views

app_name = "playbook"

urlpatterns = [
    path("", views.playbook, name="index"),
    path("rules/new/", views.rule_add, name="rule_add"),
    path("rules/timing/", views.rule_timing, name="rule_timing"),
    path("rules/parameters/", views.rule_parameters, name="rule_parameters"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/preview/", views.rule_preview, name="rule_preview"),
    path("rules/<int:pk>/dry-run/", views.rule_dry_run, name="rule_dry_run"),
    path("dry-run/", views.dry_run, name="dry_run"),
    path("dry-run/members/<int:pk>/", views.member_dry_run, name="member_dry_run"),
    path("members/<int:pk>/coming-up/", views.coming_up, name="coming_up"),
    path("segments/", campaign_views.segments, name="segments"),
    path("segments/new/", campaign_views.segment_add, name="segment_add"),
    path("segments/<int:pk>/", campaign_views.segment_edit, name="segment"),
    path("campaigns/", campaign_views.campaigns, name="campaigns"),
    path("campaigns/new/", campaign_views.campaign_add, name="campaign_add"),
    path("campaigns/<int:pk>/", campaign_views.campaign_edit, name="campaign"),
    path(
        "campaigns/<int:pk>/schedule/", campaign_views.campaign_schedule, name="campaign_schedule"
    ),
    path("campaigns/<int:pk>/cancel/", campaign_views.campaign_cancel, name="campaign_cancel"),
    path("campaigns/<int:pk>/pause/", campaign_views.campaign_pause, name="campaign_pause"),
    path("campaigns/<int:pk>/resume/", campaign_views.campaign_resume, name="campaign_resume"),
    path("campaigns/<int:pk>/stop/", campaign_views.campaign_stop, name="campaign_stop"),
    path("campaigns/<int:pk>/results/", campaign_views.campaign_results, name="campaign_results"),
]
