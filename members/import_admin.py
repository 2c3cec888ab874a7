"""The back-office's member import (Members › Import), for managers of their own clubs.

The upload answers with the preview, every row and its outcome; the rows that would be
written travel back with the Confirm button, signed so that nobody can change them on the
way, and nothing of the file is stored before the manager confirms (members.imports).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from club import roles
from club.admin_access import clubs_for
from members import imports

# Managers only: a file of a whole club's people, their consent and their cards.
IMPORTS_MEMBERS = (roles.MANAGER,)
# A preview older than this is uploaded again: the club may have changed since.
PREVIEW_MAX_AGE = 60 * 60
_SALT = "members.import"
# Room in a post for the CSRF token and the field name beside the signed rows.
PAYLOAD_MARGIN = 4096
_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class UploadForm(forms.Form):
    club = forms.ModelChoiceField(
        queryset=None,
        label="Home club",
        help_text="The club of every row, unless the file has a “Home club” column.",
    )
    file = forms.FileField(
        label="CSV or XLSX file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args, clubs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["club"].queryset = clubs
        if len(clubs[:2]) == 1:
            # One club: nothing to choose, and the field is not shown.
            self.fields["club"].initial = clubs[0]
            self.fields["club"].required = False

    def clean_club(self):
        return self.cleaned_data["club"] or self.fields["club"].initial

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            return imports.read(upload)
        except imports.FileRefused as refused:
            raise forms.ValidationError(str(refused)) from refused


def _manager_clubs(request: HttpRequest):
    """The clubs whose members the user may import: 403 for anyone but a manager."""
    roles.require(request.user, *IMPORTS_MEMBERS)
    return clubs_for(request.user).order_by("name")


def import_members(request: HttpRequest) -> HttpResponse:
    """The upload form; posted, the preview of every row with a Confirm button."""
    clubs = _manager_clubs(request)
    form = UploadForm(request.POST or None, request.FILES or None, clubs=clubs)
    context = {
        "form": form,
        "header_title": "Import members",
        "columns": imports.COLUMNS,
        "max_rows": imports.MAX_ROWS,
        "max_mb": imports.MAX_BYTES // 1024 // 1024,
        "several_clubs": len(clubs[:2]) > 1,
    }
    if request.method != "POST":
        return render(request, "members/import.html", context)
    if not form.is_valid():
        return render(request, "members/import.html", context, status=400)
    sheet, club = form.cleaned_data["file"], form.cleaned_data["club"]
    preview = imports.plan(sheet.rows, club=club, clubs=list(clubs))
    kept = [(row.number, row.values) for row in preview.rows if row.outcome != "error"]
    name = request.FILES["file"].name
    payload = signing.dumps(
        {"user": request.user.pk, "club": club.pk, "file": name, "rows": kept},
        salt=_SALT,
        compress=True,
    )
    if len(payload) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE - PAYLOAD_MARGIN:
        # Django would refuse the Confirm post itself (a bare 400): say it now.
        form.add_error("file", "This file holds too much text to import at once: split it.")
        return render(request, "members/import.html", context, status=400)
    context |= {
        "preview": preview,
        "counts": preview.counts,
        "sheet": sheet,
        "file_name": name,
        "club": club,
        "payload": payload,
    }
    return render(request, "members/import.html", context)


@require_POST
def confirm_import(request: HttpRequest) -> HttpResponse:
    """Write the previewed file's valid rows (members.imports.apply), then list the imported."""
    clubs = _manager_clubs(request)
    try:
        payload = signing.loads(
            request.POST.get("payload", ""), salt=_SALT, max_age=PREVIEW_MAX_AGE
        )
    except signing.SignatureExpired:
        messages.error(request, "That preview is more than an hour old: upload the file again.")
        return redirect("members:import")
    except signing.BadSignature:
        messages.error(request, "That preview cannot be read: upload the file again.")
        return redirect("members:import")
    if payload["user"] != request.user.pk:
        messages.error(request, "That preview was someone else's: upload the file again.")
        return redirect("members:import")
    club = get_object_or_404(clubs, pk=payload["club"])
    try:
        done = imports.apply(
            payload["rows"],
            club=club,
            clubs=list(clubs),
            by=request.user,
            file_name=payload["file"],
        )
    except IntegrityError:
        # A card given at the desk in the meantime: nothing was written.
        messages.error(
            request,
            "Nothing was imported: someone changed these members while you confirmed. "
            "Upload the file again to see the rows as they are now.",
        )
        return redirect("members:import")
    counts = done.counts
    messages.success(
        request,
        f"Imported {payload['file']}: {counts['new']} new, {counts['update']} updated, "
        f"{counts['unchanged']} unchanged"
        + (
            f", {counts['error']} not imported (changed since the preview)"
            if counts["error"]
            else ""
        )
        + ".",
    )
    return redirect("members:import")


@require_GET
def import_template(request: HttpRequest, file_format: str) -> HttpResponse:
    """The file to fill in: the headings and two example rows."""
    _manager_clubs(request)
    response = HttpResponse(imports.template(file_format), content_type=_FORMATS[file_format])
    response["Content-Disposition"] = f'attachment; filename="members-import.{file_format}"'
    return response
