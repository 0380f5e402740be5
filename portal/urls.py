from django.conf import settings
from django.contrib import admin
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.shortcuts import render
from django.urls import include, path

from accounts.views import healthz
from portfolios.validators import MAX_UPLOAD_NAME_LENGTH, FileNameTooLong


def bad_request(request, exception):
    """The product's 400 page, saying which of Django's request limits was met, if one was.

    Other 400s (a forged host name, a damaged body) get a general message: their exception
    text can echo what the client sent.
    """
    limits = {
        TooManyFieldsSent: (
            f"The form sent more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields, "
            "the most one request may carry (DATA_UPLOAD_MAX_NUMBER_FIELDS)."
        ),
        TooManyFilesSent: (
            f"More than {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files were sent at once, "
            "the most one request may carry (DATA_UPLOAD_MAX_NUMBER_FILES). "
            "Send them in smaller batches."
        ),
        FileNameTooLong: (
            f"A file's name is longer than {MAX_UPLOAD_NAME_LENGTH} characters, the most a "
            "file name may have. Rename the file and send it again."
        ),
        RequestDataTooBig: (
            "The form's text (files aside) is larger than "
            f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024} KB, the most one request may "
            "carry (DATA_UPLOAD_MAX_MEMORY_SIZE)."
        ),
    }
    limit = next((text for kind, text in limits.items() if isinstance(exception, kind)), "")
    return render(request, "400.html", {"limit": limit}, status=400)


handler400 = bad_request

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("catalogue/", include("qualifications.urls")),
    path("portfolios/", include("portfolios.urls")),
    path("moderation/", include("moderation.urls")),
    path("checklists/", include("checklists.urls")),
    path("centres/", include("centres.urls")),
    path("", include("accounts.urls")),
]
