from django.urls import path

from checkin.desk import views

app_name = "desk"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("search/", views.search, name="search"),
    path("scan/", views.scan, name="scan"),
    path("recent/", views.recent, name="recent"),
    path("leads/new/", views.new_lead, name="new_lead"),
    path("members/<int:pk>/", views.member_card, name="member"),
    path("members/<int:pk>/check-in/", views.check_in, name="check_in"),
    path("members/<int:pk>/admit-anyway/", views.admit_anyway, name="admit_anyway"),
    path(
        "members/<int:member_pk>/visits/<int:pk>/undo/", views.undo_check_in, name="undo_check_in"
    ),
    path("members/<int:pk>/sell/", views.sell, name="sell"),
    path("members/<int:pk>/note/", views.add_note, name="note"),
    path("members/<int:pk>/card/", views.give_card, name="card"),
    path("members/<int:pk>/export/", views.export_data, name="export_data"),
    path("members/<int:pk>/erase/", views.erase_data, name="erase_data"),
    path("members/<int:pk>/call/", views.log_call, name="call"),
    path("members/<int:pk>/classes/", views.book_class, name="book_class"),
    path(
        "members/<int:pk>/bookings/<int:booking_pk>/cancel/",
        views.cancel_booking,
        name="cancel_booking",
    ),
    path("memberships/<int:pk>/renew/", views.renew, name="renew"),
    path("memberships/<int:pk>/freeze/", views.freeze, name="freeze"),
    path("memberships/<int:pk>/pay/", views.take_payment, name="take_payment"),
    path("memberships/<int:pk>/auto-renew/", views.auto_renew, name="auto_renew"),
    path("freezes/<int:pk>/end/", views.unfreeze, name="unfreeze"),
    path("freezes/<int:pk>/cancel/", views.cancel_freeze, name="cancel_freeze"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
]
