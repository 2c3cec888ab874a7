from django.urls import path

from checkin.trainer import views

app_name = "trainer"

urlpatterns = [
    path("", views.my_classes, name="my_classes"),
    path("sessions/<int:pk>/", views.roster, name="roster"),
    path("sessions/<int:pk>/no-show-remaining/", views.no_show_remaining, name="no_show_remaining"),
    path("bookings/<int:pk>/attended/", views.mark_attended, name="mark_attended"),
    path("bookings/<int:pk>/attended/undo/", views.unmark_attended, name="unmark_attended"),
    path("bookings/<int:pk>/no-show/", views.mark_no_show, name="mark_no_show"),
    path("members/<int:pk>/attendance/", views.attendance, name="attendance"),
]
