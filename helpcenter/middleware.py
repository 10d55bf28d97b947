"""Custom domains: a request whose Host is a portal's custom domain is served by the portal's URL conf.

The app's own hosts (FRONTEND_URL's, localhost) never reach the database; other hosts are looked up once a
minute at most (`queries.portal_for_host` caches the answer, including "no portal"). The domain must also be
in ALLOWED_HOSTS (or ALLOWED_HOSTS=*) and point at Autonomia.
"""

from urllib.parse import urlsplit

from django.conf import settings

from helpcenter.queries import portal_for_host

LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "testserver"}


def custom_domains(get_response):
    own_host = (urlsplit(settings.FRONTEND_URL).hostname or "").lower()

    def middleware(request):
        host = request.get_host().split(":")[0].lower() if request.META.get("HTTP_HOST") else ""
        if host and host != own_host and host not in LOCAL_HOSTS:
            portal = portal_for_host(host)
            if portal is not None:
                request.urlconf = "helpcenter.urls_domain"
                request.hc_domain_portal = portal
        return get_response(request)

    return middleware
