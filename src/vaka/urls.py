from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import DefaultRouter

from vaka.directory import accounts
from vaka.directory import views as directory
from vaka.directory.api import views as directory_api
from vaka.inbox import api as inbox_api
from vaka.intel.api import exports as export_api
from vaka.intel.api import extraction as extraction_api
from vaka.intel.api import store as store_api
from vaka.intel.api.views import NoteViewSet
from vaka.intel.views_broker import BrokerHitList
from vaka.messaging.api.urls import register as register_messaging_api
from vaka.operations.api.urls import register as register_operations_api
from vaka.policy import views as policy
from vaka.products.api.views import ProductViewSet
from vaka.training.api.urls import register as register_training_api
from vaka.web import health
from vaka.web import views as web
from vaka.web.api_searches import SavedSearchViewSet
from vaka.web.forms import BootstrapMixin


class LoginForm(BootstrapMixin, auth_views.AuthenticationForm):
    pass


router = DefaultRouter()
router.register("countries", directory_api.CountryViewSet, basename="country")
router.register("organisations", directory_api.OrganisationViewSet, basename="organisation")
router.register("users", directory_api.UserViewSet, basename="user")
router.register("communities", directory_api.CommunityViewSet, basename="community")
router.register("tokens", directory_api.TokenViewSet, basename="token")
router.register("saved-searches", SavedSearchViewSet, basename="saved-search")
router.register("notes", NoteViewSet, basename="note")
router.register("objects", store_api.StixObjectViewSet, basename="object")
router.register("submissions", store_api.SubmissionViewSet, basename="submission")
router.register("notifications", store_api.HitNotificationViewSet, basename="notification")
router.register("inbox", inbox_api.NoticeViewSet, basename="notice")
router.register("products", ProductViewSet, basename="product")
register_operations_api(router)
register_messaging_api(router)
register_training_api(router)

urlpatterns = [
    *health.urlpatterns,
    path("", web.dashboard, name="dashboard"),
    path("language/", web.set_language, name="set_language"),
    path("preview/markdown/", web.markdown_preview, name="markdown_preview"),
    path("accounts/login/", auth_views.LoginView.as_view(
        authentication_form=LoginForm, redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/verify/", accounts.two_factor_verify, name="two_factor_verify"),
    path("accounts/two-factor/", accounts.two_factor_enrol, name="two_factor_enrol"),
    path("accounts/recovery-codes/", accounts.recovery_codes, name="recovery_codes"),
    path("accounts/recovery-codes/download/", accounts.recovery_codes_download,
         name="recovery_codes_download"),
    path("accounts/recovery-codes/new/", accounts.recovery_codes_regenerate,
         name="recovery_codes_regenerate"),
    path("accounts/password/", accounts.password_change, name="password_change"),
    path("accounts/profile/", accounts.profile, name="profile"),
    path("accounts/tokens/", accounts.token_list, name="tokens"),
    path("accounts/tokens/<int:pk>/revoke/", accounts.token_revoke, name="token_revoke"),
    path("countries/", directory.country_list, name="countries"),
    path("organisations/", directory.organisation_list, name="organisations"),
    path("organisations/new/", directory.organisation_edit, name="organisation_create"),
    path("organisations/<int:pk>/", directory.organisation_detail, name="organisation"),
    path("organisations/<int:pk>/edit/", directory.organisation_edit, name="organisation_edit"),
    path("users/", directory.user_list, name="users"),
    path("users/new/", directory.user_edit, name="user_create"),
    path("users/<int:pk>/", directory.user_detail, name="user"),
    path("users/<int:pk>/edit/", directory.user_edit, name="user_edit"),
    path("users/<int:pk>/two-factor/reset/", directory.user_two_factor_reset,
         name="user_two_factor_reset"),
    path("communities/", directory.community_list, name="communities"),
    path("communities/new/", directory.community_edit, name="community_create"),
    path("communities/<int:pk>/", directory.community_detail, name="community"),
    path("communities/<int:pk>/edit/", directory.community_edit, name="community_edit"),
    path("programmes/", directory.programme_list, name="programmes"),
    path("programmes/<slug:code>/edit/", directory.programme_edit, name="programme_edit"),
    path("audit/", policy.audit_log, name="audit_log"),
    path("intel/", include("vaka.intel.urls")),
    path("saved-searches/", include("vaka.web.urls")),
    path("inbox/", include("vaka.inbox.urls")),
    path("products/", include("vaka.products.urls")),
    path("campaigns/", include("vaka.products.urls_campaigns")),
    path("awareness/", include("vaka.products.urls_public")),
    path("analytics/", include("vaka.products.urls_analytics")),
    path("operations/", include("vaka.operations.urls")),
    path("messages/", include("vaka.messaging.urls")),
    path("training/", include("vaka.training.urls")),
    path("verify/", include("vaka.training.urls_verify")),
    path("exchange/", include("vaka.exchange.urls")),
    path("taxii2/", include("vaka.exchange.taxii_urls")),
    path("sync/v1/", include("vaka.exchange.sync_api_urls")),
    path("api/lookup/", store_api.lookup, name="lookup"),
    path("api/extract/", extraction_api.extract_text, name="extract"),
    path("api/broker/hits/", BrokerHitList.as_view(), name="broker-hits"),
    path("api/objects/export/", export_api.ObjectExportView.as_view(), name="object_export"),
    path("api/blocklists/<str:kind>.txt", export_api.BlocklistView.as_view(), name="blocklist"),
    path("api/", include(router.urls)),
    # The schema answers 401 without credentials (SERVE_PERMISSIONS); the documentation
    # pages send visitors to sign in.
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="schema")),
         name="api_docs"),
    path("api/redoc/", login_required(SpectacularRedocView.as_view(url_name="schema")),
         name="api_redoc"),
]

# A body over the upload limit is answered with the limit, not a bare "Bad Request".
handler400 = "vaka.web.errors.bad_request"
# A full disk is a 507 and a database that does not answer a 503, each saying so.
handler500 = "vaka.web.errors.server_error"
