from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Provider directory: staff"
admin.site.site_title = "Provider directory staff"
admin.site.index_title = "Data entry"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/hsds/", include("openreferral.urls")),
    path("listings/confirm/", include("listings.confirm_urls")),
    path("", include("directory.urls")),
    path("", include("guides.urls")),
    path("", include("finder.urls")),
    path("", include("listings.accuracy_urls")),
    path("", include("listings.urls")),
    # Uploaded photos, while DEBUG is on (nothing otherwise): in production the proxy or the bucket serves them.
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
]

handler400 = "config.errors.bad_request"
handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"
