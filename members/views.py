from allauth.account.models import EmailAddress
from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def account(request):
    return render(
        request,
        "members/account.html",
        {
            "emails": EmailAddress.objects.filter(user=request.user).order_by("-primary", "email"),
            "mfa_enabled": is_mfa_enabled(request.user),
        },
    )


def support(request):
    return render(request, "members/support.html")
