from django.urls import path

from cms.portal import feeds, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("login/sent/", views.login_sent, name="login_sent"),
    path("login/link/", views.login_link, name="login_link"),
    path("logout/", views.logout_view, name="logout"),
    path("membership/", views.membership, name="membership"),
    path("membership/<int:pk>/renew/", views.renew_online, name="renew_online"),
    path("membership/<int:pk>/auto-renew/", views.auto_renew, name="auto_renew"),
    path("membership/paid/", views.renew_paid, name="renew_paid"),
    path("membership/card/remove/", views.remove_card, name="remove_card"),
    path("membership/card/update/", views.update_card, name="update_card"),
    path("membership/card/saved/", views.card_saved, name="card_saved"),
    path("membership/card/cancelled/", views.card_cancelled, name="card_cancelled"),
    path("visits/", views.visits, name="visits"),
    path("bookings/", views.bookings_list, name="bookings"),
    path("bookings/<int:pk>/", views.booking_detail, name="booking"),
    path("bookings/<int:pk>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("book/", views.schedule, name="schedule"),
    path("book/<int:session_id>/", views.book, name="book"),
    path("messages/", views.message_preferences, name="messages"),
    path("privacy/", views.your_data, name="your_data"),
    path("data/", views.data_export, name="data_export"),
    path("data/erase/", views.erasure_request, name="erasure_request"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/reset/", views.calendar_reset, name="calendar_reset"),
    path("calendar/<str:token>.ics", feeds.feed, name="calendar_feed"),
]
