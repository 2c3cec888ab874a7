"""The API documentation page works without internet: every asset comes from our server."""

import pathlib
import re

from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

REDOC = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"


def test_the_docs_page_loads_only_our_own_assets(client, db):
    response = client.get(reverse("api-docs"))

    html = response.content.decode()
    assert response.status_code == 200
    assets = re.findall(r'(?:src|href|spec-url)="([^"]*)"', html)
    # Redoc from our static files, and nothing from another host (no CDN, no Google Fonts).
    assert static(REDOC) in assets
    assert [url for url in assets if not url.startswith("/") or url.startswith("//")] == []
    assert "://" not in html
    assert reverse("api-schema") in assets


def test_the_redoc_bundle_is_among_our_static_files():
    # collectstatic (and runserver) find it in the pinned drf-spectacular-sidecar package.
    found = finders.find(REDOC)

    assert found is not None
    assert "Redoc" in pathlib.Path(found).read_text(encoding="utf-8")
