"""DRF's JSON parser, with one more bad body turned into a 400: JSON nested deeper than
Python's recursion limit (`[[[[...]]]]`), which would otherwise escape as a 500."""

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None
