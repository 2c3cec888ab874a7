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


def test_the_check_in_examples_are_answers_the_view_gives(client, db):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/checkins"]["post"]

    request = operation["requestBody"]["content"]["application/json"]
    # Two ways to ask, named (the docs read "One of: By card, By member id", not "object").
    assert [choice["title"] for choice in request["schema"]["oneOf"]] == ["By card", "By member id"]
    assert {e["value"].popitem()[0] for e in request["examples"].values()} == {"card", "member_id"}
    answers = [
        example["value"]
        for status in ("200", "404")
        for example in operation["responses"][status]["content"]["application/json"][
            "examples"
        ].values()
    ]
    assert len(answers) == 4
    # admitted answers name a visit and no reason; a refusal names a reason and no visit
    for answer in answers:
        assert (answer["reason"] is None) is answer["allowed"]
        assert (answer["visit_id"] is not None) is answer["allowed"]
