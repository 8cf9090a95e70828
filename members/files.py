"""Serving locked files after the caller has checked access.

In development Django streams the file (with Range support from
FileResponse's caller, see courses); in production the web server does, when
PROTECTED_MEDIA_ACCEL names an nginx `internal` location that maps to
PROTECTED_MEDIA_ROOT. Responses are private: no shared cache keeps them."""

import mimetypes
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.functional import cached_property


class ProtectedStorage(FileSystemStorage):
    """Files under PROTECTED_MEDIA_ROOT, which has no public URL."""

    def __init__(self, **kwargs):
        super().__init__(base_url=None, **kwargs)

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PROTECTED_MEDIA_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PROTECTED_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)


def serve(request, field_file, *, as_attachment=False):
    if not field_file or not field_file.storage.exists(field_file.name):
        raise Http404("No such file.")
    name = PurePosixPath(field_file.name).name
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if settings.PROTECTED_MEDIA_ACCEL:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = f"{settings.PROTECTED_MEDIA_ACCEL.rstrip('/')}/{field_file.name}"
    else:
        response = FileResponse(field_file.open("rb"), content_type=content_type, as_attachment=as_attachment)
    response["Content-Disposition"] = f'{"attachment" if as_attachment else "inline"}; filename="{name}"'
    patch_cache_control(response, private=True, no_store=True)
    response["X-Content-Type-Options"] = "nosniff"
    return response
