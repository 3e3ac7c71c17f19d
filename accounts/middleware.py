from django.shortcuts import redirect
from django.urls import reverse

from accounts.two_factor import must_enrol


def enrolment_first(get_response):
    """A staff session that must use two-factor sign-in and has no authenticator yet reaches only
    the enrolment page and sign-out; every other admin page sends it there. (The admin refuses
    such a session anyway, in NewsroomAdminSite.has_permission; this only shows it the way.)"""

    def middleware(request):
        open_paths = (reverse("accounts:two_factor"), reverse("accounts:sign_out"))
        if (
            request.path.startswith(reverse("admin:index"))
            and request.path not in open_paths
            and must_enrol(request.user)
        ):
            return redirect("accounts:two_factor")
        return get_response(request)

    return middleware
