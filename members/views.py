from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from anatomy import fragments
from anatomy.rendering import render_markdown
from page_cache import cache_for_anonymous, cache_for_members

from . import access, account_deletion, account_page, billing, data_export, files, webhooks
from .forms import DeleteAccountForm, TestCardForm
from .models import ExclusivePost, Subscription, Tier


@login_required
@cache_for_members
def account(request):
    # One round trip for the site's header and notice and the member's kept rows.
    fragments.prefetch(request, fragments.on_every_page(request), account_page.kept_keys(request.user))
    standing = access.standing(request.user)
    return render(
        request,
        "members/account.html",
        {
            **account_page.rows(request.user),
            "standing": standing,
            "current": standing.subscription,
            "offline_checkout": offline_checkout_enabled(),
        },
    )


@cache_for_anonymous
@cache_for_members
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


@cache_for_anonymous
@cache_for_members
def post_list(request):
    posts = ExclusivePost.objects.live().select_related("min_tier")
    return render(
        request,
        "members/post_list.html",
        {"page_obj": Paginator(posts, 20).get_page(request.GET.get("page")), "standing": access.standing(request.user)},
    )


@cache_for_anonymous
@cache_for_members
def post_detail(request, slug):
    found = fragments.cached(request, f"post:{slug}", lambda: post_with_teaser(slug))
    if found is None:
        raise Http404("No such post.")
    post, teaser = found
    unlocked = access.can_view(request.user, post)
    # Asked for only after the access check: the same for every reader who may open the post.
    body, files = fragments.cached(request, f"post-body:{post.pk}", lambda: post_body(post)) if unlocked else (None, [])
    return render(
        request,
        "members/post_detail.html",
        {
            "post": post,
            "unlocked": unlocked,
            "body": body,
            "teaser": teaser,
            "files": files,
            "standing": access.standing(request.user),
        },
    )


def post_with_teaser(slug):
    post = ExclusivePost.objects.live().select_related("min_tier").filter(slug=slug).first()
    return (post, render_markdown(post.teaser_text())) if post else None


def post_body(post):
    return render_markdown(post.body.replace(ExclusivePost.MORE_MARKER, "")), list(post.files.all())


def post_file(request, slug, pk):
    post = get_object_or_404(ExclusivePost.objects.live(), slug=slug)
    attachment = get_object_or_404(post.files, pk=pk)
    if not access.can_view(request.user, post):
        raise Http404("No such file.")  # locked files are not even acknowledged
    return files.serve(request, attachment.file)


@login_required
@require_POST
@ratelimit(key="user", rate="10/h", method="POST", block=False)
def export_data(request):
    """Everything the site holds about the member, as a JSON download (POST, so no other site can start it)."""
    if getattr(request, "limited", False):
        messages.error(request, "You have downloaded your data several times this hour. Please try again later.")
        return redirect("members:account")
    response = HttpResponse(data_export.as_json(request.user), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{data_export.filename()}"'
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_http_methods(["GET", "POST"])
@ratelimit(key="user", rate="5/15m", method="POST", block=False)
def delete_account(request):
    """Says what is deleted and what is kept; the password and the typed words delete the account."""
    form = DeleteAccountForm(request.POST or None, user=request.user)
    refusal = ""
    if getattr(request, "limited", False):
        form = DeleteAccountForm(user=request.user)  # a guessed password is not even checked
        refusal = "Too many attempts. Please wait a quarter of an hour and try again."
    elif form.is_valid():
        try:
            account_deletion.delete_account(user=request.user)
        except account_deletion.DeletionRefused as error:
            refusal = str(error)
        else:
            logout(request)
            messages.success(request, "Your account is deleted. A confirmation is on its way to your email.")
            return redirect("anatomy:home")
    return render(
        request,
        "members/delete_account.html",
        {
            "form": form,
            "refusal": refusal,
            "standing": access.standing(request.user),
            "certificates": request.user.certificates.filter(replaced_by__isnull=True).count(),
            "staff_refused": account_deletion.STAFF_REFUSED,
        },
    )
