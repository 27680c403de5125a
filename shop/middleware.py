"""Request guards that apply to every view."""

from django.http import JsonResponse


def reject_nul_characters(get_response):
    """A NUL in the path or the query string is a 400 (JSON, as the API answers): PostgreSQL
    text cannot hold one, so a lookup by it would otherwise end in a 500. (Form fields
    refuse it themselves.)"""

    def middleware(request):
        query = request.GET
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in query.getlist(key)) for key in query
        ):
            return JsonResponse(  # the API's error shape; a browser reads it as well
                {"code": "invalid_request", "message": "A NUL character is not allowed here."},
                status=400,
            )
        return get_response(request)

    return middleware
