from django.urls import path, re_path

from . import views

# HSDS's openapi.json names the paths without a trailing slash; this site's own API ends them with one.
# Both answer.
urlpatterns = [
    path("", views.hsds_root, name="hsds_root"),
    re_path(r"^services/?$", views.hsds_service_list, name="hsds_service_list"),
    re_path(r"^services/(?P<id>[^/]+)/?$", views.hsds_service_detail, name="hsds_service_detail"),
    re_path(r"^organizations/?$", views.hsds_organization_list, name="hsds_organization_list"),
    re_path(r"^organizations/(?P<id>[^/]+)/?$", views.hsds_organization_detail, name="hsds_organization_detail"),
    re_path(r"^taxonomies/?$", views.hsds_taxonomy_list, name="hsds_taxonomy_list"),
    re_path(r"^taxonomies/(?P<id>[^/]+)/?$", views.hsds_taxonomy_detail, name="hsds_taxonomy_detail"),
    re_path(r"^taxonomy_terms/?$", views.hsds_taxonomy_term_list, name="hsds_taxonomy_term_list"),
    re_path(r"^taxonomy_terms/(?P<id>[^/]+)/?$", views.hsds_taxonomy_term_detail, name="hsds_taxonomy_term_detail"),
]
