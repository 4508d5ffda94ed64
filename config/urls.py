from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.sitemaps import views as sitemaps
from django.urls import include, path
from django.views.decorators.cache import cache_page

from directory.sitemaps import PageSitemap, ProviderSitemap
from directory.views import favicon, robots_txt
from guides.sitemaps import GuideSitemap

admin.site.site_header = "Provider directory: staff"
admin.site.site_title = "Provider directory staff"
admin.site.index_title = "Data entry"

SITEMAPS = {"pages": PageSitemap, "guides": GuideSitemap, "providers": ProviderSitemap}
SITEMAP_SECONDS = 60 * 60

urlpatterns = [
    path("robots.txt", robots_txt, name="robots_txt"),
    path("favicon.ico", favicon, name="favicon"),
    path("sitemap.xml", cache_page(SITEMAP_SECONDS)(sitemaps.index), {"sitemaps": SITEMAPS,
         "sitemap_url_name": "sitemap_section"}, name="sitemap"),
    path("sitemap-<section>.xml", cache_page(SITEMAP_SECONDS)(sitemaps.sitemap), {"sitemaps": SITEMAPS},
         name="sitemap_section"),
    path("admin/", admin.site.urls),
    path("api/hsds/", include("openreferral.urls")),
    path("listings/confirm/", include("listings.confirm_urls")),
    path("", include("directory.urls")),
    path("", include("guides.urls")),
    path("", include("finder.urls")),
    path("", include("shortlist.urls")),
    path("", include("listings.accuracy_urls")),
    path("", include("listings.urls")),
    # Uploaded photos, while DEBUG is on (nothing otherwise): in production the proxy or the bucket serves them.
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
]

handler400 = "config.errors.bad_request"
handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"
