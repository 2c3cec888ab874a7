import mimetypes

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from members import photos
from members.models import Member


@require_GET
def photo(request: HttpRequest, signed: str) -> FileResponse:
    """A member's photo through the signed link its url() gave (members/photos.py)."""
    name = photos.name_from_link(signed)
    storage = Member._meta.get_field("photo").storage
    if name is None or not storage.exists(name):
        raise Http404("This photo link is not valid (any more).")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(storage.open(name), content_type=content_type)
    # Only the browser that was given the link keeps it, and not past the link's own life.
    response["Cache-Control"] = "private, max-age=3600"
    return response
