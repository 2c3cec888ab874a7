"""The REST API's request parsers, DRF's default (settings.REST_FRAMEWORK) and the turnstile's.

A module of its own: DRF imports its default parsers while its views module loads, so they
cannot live beside our views (club.api).
"""

from __future__ import annotations

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with a body nested too deeply for the decoder (`[[[[…]]]]`) a 400
    parse error like any other malformed JSON: Python's decoder raises RecursionError there,
    which DRF let through as a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None
