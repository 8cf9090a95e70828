"""Serving locked files after the caller has checked access.

In development Django streams the file, answering HTTP Range requests (a
video player asks for pieces of the file as it plays and seeks); in
production the web server does, ranges included, when PROTECTED_MEDIA_ACCEL
names an nginx `internal` location that maps to PROTECTED_MEDIA_ROOT. On
object storage (S3), the answer is a redirect to a signed URL that expires
after PROTECTED_MEDIA_URL_SECONDS; the bucket itself serves the bytes and
ranges. Responses are private: no shared cache keeps them."""

import mimetypes
import re
import sys
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
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


def serve(request, field_file, *, as_attachment=False, content_type=None):
    if not field_file or not field_file.storage.exists(field_file.name):
        raise Http404("No such file.")
    name = PurePosixPath(field_file.name).name
    content_type = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    disposition = f'{"attachment" if as_attachment else "inline"}; filename="{name}"'
    if _on_object_storage(field_file.storage):
        # The bucket answers with the type and disposition the signature fixes.
        signed = {"ResponseContentType": content_type, "ResponseContentDisposition": disposition}
        response = HttpResponseRedirect(field_file.storage.url(field_file.name, parameters=signed))
    elif settings.PROTECTED_MEDIA_ACCEL:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = f"{settings.PROTECTED_MEDIA_ACCEL.rstrip('/')}/{field_file.name}"
    else:
        response = _file_response(request, field_file, content_type, as_attachment)
    response["Content-Disposition"] = disposition
    patch_cache_control(response, private=True, no_store=True)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _on_object_storage(storage):
    # By module, not by import: boto3 adds some 40 MB to every worker, so only
    # sites that keep media on S3 load it (their storage has loaded it already).
    s3 = sys.modules.get("storages.backends.s3")
    return s3 is not None and isinstance(storage, s3.S3Storage)


RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header, size):
    """The (first, last) byte positions a Range header asks for, inclusive;
    None to send the whole file (no header, one we don't parse, several
    ranges); raises ValueError when nothing of the file is in the range."""
    match = RANGE.match(header.replace(" ", "")) if header else None
    if not match or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        if int(last) == 0 or size == 0:
            raise ValueError("empty suffix range")
        return max(size - int(last), 0), size - 1
    first = int(first)
    if last and int(last) < first:
        return None  # an invalid header, which HTTP says to ignore
    if first >= size:
        raise ValueError("range starts after the end of the file")
    return first, min(int(last), size - 1) if last else size - 1


def _file_response(request, field_file, content_type, as_attachment):
    size = field_file.size
    try:
        wanted = byte_range(request.headers.get("Range"), size)
    except ValueError:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    else:
        if wanted is None:
            response = FileResponse(field_file.open("rb"), content_type=content_type, as_attachment=as_attachment)
        else:
            first, last = wanted
            response = StreamingHttpResponse(_read(field_file, first, last), status=206, content_type=content_type)
            response["Content-Range"] = f"bytes {first}-{last}/{size}"
            response["Content-Length"] = str(last - first + 1)
    response["Accept-Ranges"] = "bytes"
    return response


def _read(field_file, first, last, chunk=64 * 1024):
    with field_file.open("rb") as stream:
        stream.seek(first)
        left = last - first + 1
        while left > 0:
            data = stream.read(min(chunk, left))
            if not data:
                break
            left -= len(data)
            yield data
