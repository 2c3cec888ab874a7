"""Public endpoints of the campaigns app: Twilio's webhooks and unsubscribe links.

Included at the site root in club/urls.py, before Wagtail's page tree.
"""

from django.urls import path

from campaigns import unsubscribe, webhooks

app_name = "campaigns"

urlpatterns = [
    path("hooks/twilio/status/", webhooks.twilio_status, name="twilio-status"),
    path("hooks/twilio/inbound/", webhooks.twilio_inbound, name="twilio-inbound"),
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe_view, name="unsubscribe"),
]
