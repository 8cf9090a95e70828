from allauth.account.models import EmailAddress
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from anatomy.rendering import render_markdown

from . import access, billing, files, webhooks
from .forms import TestCardForm
from .models import ExclusivePost, Payment, Subscription, Tier


@login_required
def account(request):
    subscriptions = Subscription.objects.filter(user=request.user).select_related("tier")
    return render(
        request,
        "members/account.html",
        {
            "emails": EmailAddress.objects.filter(user=request.user).order_by("-primary", "email"),
            "mfa_enabled": is_mfa_enabled(request.user),
            "standing": access.standing(request.user),
            "current": next((sub for sub in subscriptions if access.subscription_grants_access(sub)), None),
            "payments": Payment.objects.filter(user=request.user)[:24],
            "has_billing": hasattr(request.user, "stripe_customer"),
            "offline_checkout": offline_checkout_enabled(),
        },
    )


def support(request):
    return render(
        request,
        "members/support.html",
        {"tiers": Tier.objects.filter(is_active=True), "standing": access.standing(request.user)},
    )


@require_POST
@login_required
def join(request, slug):
    tier = get_object_or_404(Tier, slug=slug, is_active=True)
    if access.standing(request.user).tier:
        messages.info(request, "You already support the site. Switch tiers or cancel from Manage billing.")
        return redirect("members:account")
    if offline_checkout_enabled():
        return redirect("members:test_checkout", slug=tier.slug)
    try:
        url = billing.start_checkout(
            user=request.user,
            tier=tier,
            success_url=request.build_absolute_uri(reverse("members:welcome")),
            cancel_url=request.build_absolute_uri(reverse("members:support")),
        )
    except billing.BillingError as error:
        messages.error(request, str(error))
        return redirect("members:support")
    return redirect(url)


@login_required
def welcome(request):
    """Where Stripe Checkout returns the new supporter."""
    subscription = billing.confirm_checkout(user=request.user, session_id=request.GET.get("session_id", ""))
    if subscription and access.subscription_grants_access(subscription):
        messages.success(request, f"Thank you! You now support the site as {subscription.tier}.")
    else:
        messages.info(request, "Thank you! Your payment is being confirmed; your tier appears here in a moment.")
    return redirect("members:account")


@require_POST
@login_required
def manage_billing(request):
    try:
        url = billing.portal_url(user=request.user, return_url=request.build_absolute_uri(reverse("members:account")))
    except billing.BillingError as error:
        messages.error(request, str(error))
        return redirect("members:account")
    return redirect(url)


def offline_checkout_enabled():
    """Only in development, only without live keys (a system check also guards it)."""
    return settings.STRIPE_OFFLINE_CHECKOUT and settings.DEBUG and not settings.STRIPE_SECRET_KEY.startswith("sk_live")


@login_required
def test_checkout(request, slug):
    """A clearly labelled stand-in for Stripe Checkout in development."""
    if not offline_checkout_enabled():
        raise Http404("The offline test checkout is only for development.")
    tier = get_object_or_404(Tier, slug=slug, is_active=True)
    form = TestCardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            billing.subscribe_with_test_card(
                user=request.user, tier=tier, payment_method=form.cleaned_data["payment_method"]
            )
        except billing.BillingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Thank you! You now support the site as {tier}.")
            return redirect("members:account")
    return render(request, "members/test_checkout.html", {"tier": tier, "form": form})


@require_POST
@login_required
def test_cancel(request):
    """The offline stand-in for cancelling in the Billing Portal."""
    if not offline_checkout_enabled():
        raise Http404("The offline test checkout is only for development.")
    current = Subscription.objects.filter(user=request.user, status__in=["active", "trialing"]).first()
    if current:
        try:
            billing.cancel_at_period_end(subscription=current)
        except billing.BillingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Your support is cancelled. You keep access until the end of the paid period.")
    return redirect("members:account")


@csrf_exempt
@require_POST
def stripe_webhook(request):
    status = webhooks.receive(request.body, request.headers.get("Stripe-Signature"))
    return HttpResponse(status=status)


def post_list(request):
    posts = ExclusivePost.objects.live().select_related("min_tier")
    return render(
        request,
        "members/post_list.html",
        {"page_obj": Paginator(posts, 20).get_page(request.GET.get("page")), "standing": access.standing(request.user)},
    )


def post_detail(request, slug):
    post = get_object_or_404(ExclusivePost.objects.live().select_related("min_tier"), slug=slug)
    unlocked = access.can_view(request.user, post)
    body = render_markdown(post.body.replace(ExclusivePost.MORE_MARKER, "")) if unlocked else None
    return render(
        request,
        "members/post_detail.html",
        {
            "post": post,
            "unlocked": unlocked,
            "body": body,
            "teaser": render_markdown(post.teaser_text()),
            "files": post.files.all() if unlocked else [],
            "standing": access.standing(request.user),
        },
    )


def post_file(request, slug, pk):
    post = get_object_or_404(ExclusivePost.objects.live(), slug=slug)
    attachment = get_object_or_404(post.files, pk=pk)
    if not access.can_view(request.user, post):
        raise Http404("No such file.")  # locked files are not even acknowledged
    return files.serve(request, attachment.file)
