from allauth.account.adapter import get_adapter as get_account_adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from . import calendar, invitations, joining, members, pages, permissions
from .context_processors import forget_navigation
from .forms import (
    CohortCreateForm,
    CohortSettingsForm,
    InvitationPasteForm,
    JoinDetailsForm,
    JoinLinkForm,
    MembershipForm,
    NameForm,
    WeekForm,
    form_status,
)
from .models import Cohort, Invitation, JoinLink, Membership, Role, Week
from .permissions import (
    MEMBER,
    ORGANIZER,
    access_for,
    cohort_view,
    site_staff_required,
    visible_week_and_neighbours,
)
from .secrets import digest
from .signals import session_moved


@login_required
def home(request):
    cohorts = list(
        Cohort.objects.for_user(request.user).annotate(week_count=Count("weeks", distinct=True))
    )
    active = [c for c in cohorts if c.status == Cohort.Status.ACTIVE]
    if len(active) == 1 and request.GET.get("all") is None:
        cohort = active[0]
        access = access_for(request.user, cohort)
        week = cohort.current_week()
        if week and access.can_see_week(week):
            return redirect(week)
        return redirect(cohort)
    summaries = pages.cohort_summaries_for(request, cohorts)
    for cohort in cohorts:
        cohort.summary = summaries[cohort.pk]
    return render(
        request,
        "cohorts/home.html",
        {
            "cohorts": cohorts,
            "actions": [action for provider in pages.home_actions for action in provider(request)],
        },
    )


# How long a used "create" form is remembered (a double click comes within seconds).
CREATE_ONCE_SECONDS = 24 * 3600


def _create_cohort(request, form):
    with transaction.atomic():
        cohort = form.save()
        organizer_email = form.cleaned_data["organizer_email"]
        if organizer_email and organizer_email.lower() != request.user.email.lower():
            line = invitations.InviteLine(0, organizer_email.lower(), Role.ORGANIZER)
            invitations.invite(cohort, [line], request.user)
        else:
            Membership.objects.create(user=request.user, cohort=cohort, role=Role.ORGANIZER)
    return cohort


@site_staff_required
def cohort_create(request):
    form = CohortCreateForm(request.POST or None)
    preview = None
    # The page previews on its own as fields change (htmx); without JavaScript, "Preview".
    live = request.headers.get("HX-Request") == "true"
    if request.method == "POST" and (live or "preview" in request.POST):
        form.is_valid()  # the other fields' errors show beside them; the schedule's own
        preview = form.preview() if form.sessions else None
    elif request.method == "POST" and form.is_valid():
        claim = f"homeroom:new-cohort:{request.user.pk}:{form.cleaned_data['once']}"
        if form.cleaned_data["once"] and not cache.add(claim, "", timeout=CREATE_ONCE_SECONDS):
            slug = cache.get(claim)
            if slug:
                messages.info(request, "This form already made its cohort; here it is.")
                return redirect("cohorts:detail", slug=slug)
            messages.warning(request, "The cohort is being created; check your cohorts first.")
            return redirect("home")
        try:
            cohort = _create_cohort(request, form)
        except BaseException:
            cache.delete(claim)
            raise
        cache.set(claim, cohort.slug, timeout=CREATE_ONCE_SECONDS)
        count = cohort.weeks.count()
        messages.success(
            request, f"“{cohort.title}” is ready with {count} {cohort.unit_plural.lower()}."
        )
        return redirect(cohort)
    return render(
        request,
        "cohorts/cohort_create.html",
        {"form": form, "preview": preview, "live": live},
        status=form_status(form),
    )


def _members_by_role(cohort):
    members = (
        Membership.objects.active()
        .filter(cohort=cohort)
        .select_related("user")
        .order_by("user__name", "user__email")
    )
    grouped = {role: [] for role in Role}
    for membership in members:
        grouped[Role(membership.role)].append(membership)
    return [(role.label + "s", grouped[role]) for role in Role]


@cohort_view(MEMBER)
def cohort_detail(request, access):
    cohort = access.cohort
    weeks = list(cohort.weeks.all())
    current = cohort.current_week(weeks)
    now = timezone.now()
    badges = {}
    for provider in pages.schedule_badges:
        for week_id, html in provider(request, access, weeks).items():
            badges.setdefault(week_id, []).append(html)
    for week in weeks:
        week.badges = badges.get(week.pk, [])
        week.visible = access.can_see_week(week)
        week.topic_visible = access.can_see_topic(week)
    notices = [provider(request, access) for provider in pages.cohort_notices]
    sections = [provider(request, access) for provider in pages.cohort_sections]
    return render(
        request,
        "cohorts/cohort_detail.html",
        {
            "access": access,
            "cohort": cohort,
            "weeks": weeks,
            "current_week": current,
            "now": now,
            "members_by_role": _members_by_role(cohort),
            "notices": [notice for notice in notices if notice],
            "sections": [section for section in sections if section],
        },
    )


@cohort_view(MEMBER)
def week_detail(request, access, number):
    week, previous_week, next_week = visible_week_and_neighbours(access, number)
    sections = [provider(request, access, week) for provider in pages.week_sections]
    return render(
        request,
        "cohorts/week_detail.html",
        {
            "access": access,
            "cohort": access.cohort,
            "week": week,
            "sections": [section for section in sections if section],
            "previous_week": previous_week,
            "next_week": next_week,
        },
    )


@cohort_view(ORGANIZER)
def manage_settings(request, access):
    cohort = access.cohort
    form = CohortSettingsForm(request.POST or None, instance=cohort)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Settings saved.")
        return redirect("cohorts:manage_settings", slug=cohort.slug)
    return render(
        request,
        "cohorts/manage/settings.html",
        {"access": access, "cohort": cohort, "form": form},
        status=form_status(form),
    )


@cohort_view(ORGANIZER)
def manage_weeks(request, access):
    cohort = access.cohort
    weeks = list(cohort.weeks.all())
    details = {}
    for provider in pages.week_table_details:
        for week_id, html in provider(request, access, weeks).items():
            details.setdefault(week_id, []).append(html)
    for week in weeks:
        week.details = details.get(week.pk, [])
    return render(
        request,
        "cohorts/manage/weeks.html",
        {"access": access, "cohort": cohort, "weeks": weeks},
    )


@cohort_view(ORGANIZER)
def manage_week(request, access, number):
    cohort = access.cohort
    week = get_object_or_404(Week, cohort=cohort, number=number)
    old_start = week.session_start
    form = WeekForm(request.POST or None, instance=week)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            if week.session_start != old_start:
                session_moved.send(
                    sender=Week, week=week, old_start=old_start, new_start=week.session_start
                )
        messages.success(request, f"{week.label} saved.")
        return redirect("cohorts:manage_weeks", slug=cohort.slug)
    return render(
        request,
        "cohorts/manage/week_form.html",
        {"access": access, "cohort": cohort, "week": week, "form": form},
        status=form_status(form),
    )


@cohort_view(ORGANIZER)
def manage_members(request, access):
    cohort = access.cohort
    members = (
        Membership.objects.active()
        .filter(cohort=cohort)
        .select_related("user")
        .order_by("role", "user__name", "user__email")
    )
    return render(
        request,
        "cohorts/manage/members.html",
        {
            "access": access,
            "cohort": cohort,
            "members": members,
            "roles": Role.choices,
            "experience_levels": Membership.Experience.choices,
        },
    )


@cohort_view(ORGANIZER)
@require_POST
def manage_member_update(request, access, member_id):
    membership = get_object_or_404(Membership.objects.active(), pk=member_id, cohort=access.cohort)
    form = MembershipForm(request.POST, instance=membership)
    if form.is_valid():
        try:
            members.change(
                membership,
                role=form.cleaned_data["role"],
                experience=form.cleaned_data["experience"],
            )
        except members.LastOrganizer as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, f"{membership.user} is now {membership.get_role_display().lower()}."
            )
    else:
        messages.error(request, "Choose a role and an experience level from the lists.")
    return redirect("cohorts:manage_members", slug=access.cohort.slug)


@cohort_view(ORGANIZER)
def manage_member_remove(request, access, member_id):
    membership = get_object_or_404(
        Membership.objects.active().select_related("user"), pk=member_id, cohort=access.cohort
    )
    if request.method == "POST":
        try:
            members.remove(membership)
        except members.LastOrganizer as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{membership.user} has left {access.cohort}.")
        return redirect("cohorts:manage_members", slug=access.cohort.slug)
    return render(
        request,
        "cohorts/manage/member_remove.html",
        {"access": access, "cohort": access.cohort, "membership": membership},
    )


@cohort_view(ORGANIZER)
def manage_invitations(request, access):
    cohort = access.cohort
    form = InvitationPasteForm(request.POST or None)
    line_errors = []
    if request.method == "POST" and form.is_valid():
        lines, line_errors = invitations.parse_lines(
            form.cleaned_data["emails"], cohort, default_role=form.cleaned_data["role"]
        )
        if not line_errors and not lines:
            form.add_error("emails", "Paste at least one email address.")
        elif not line_errors:
            try:
                sent = invitations.invite(cohort, lines, request.user)
            except invitations.LimitReached as limit:
                form.add_error("emails", str(limit))
            else:
                messages.success(
                    request, f"Sent {len(sent)} invitation{'s' if len(sent) != 1 else ''}."
                )
                return redirect("cohorts:manage_invitations", slug=cohort.slug)
    open_invitations = cohort.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True)
    recent = cohort.invitations.filter(Q(accepted_at__isnull=False) | Q(revoked_at__isnull=False))[
        :20
    ]
    return render(
        request,
        "cohorts/manage/invitations.html",
        {
            "access": access,
            "cohort": cohort,
            "form": form,
            "line_errors": line_errors,
            "open_invitations": open_invitations.select_related("invited_by"),
            "recent_invitations": recent,
        },
    )


@cohort_view(ORGANIZER)
@require_POST
def manage_invitation_resend(request, access, invitation_id):
    invitation = get_object_or_404(
        Invitation, pk=invitation_id, cohort=access.cohort, accepted_at=None, revoked_at=None
    )
    try:
        if invitations.renew(invitation):
            messages.success(request, f"Sent the invitation to {invitation.email} again.")
        else:
            minutes = int(invitations.RESEND_AFTER.total_seconds() // 60)
            messages.info(
                request,
                f"The invitation to {invitation.email} went out less than {minutes} minutes "
                "ago; give it a little time before resending.",
            )
    except invitations.LimitReached as limit:
        messages.error(request, str(limit))
    return redirect("cohorts:manage_invitations", slug=access.cohort.slug)


@cohort_view(ORGANIZER)
def manage_invitation_revoke(request, access, invitation_id):
    invitation = get_object_or_404(
        Invitation, pk=invitation_id, cohort=access.cohort, accepted_at=None, revoked_at=None
    )
    if request.method == "POST":
        invitations.revoke(invitation)
        messages.success(
            request, f"Revoked the invitation for {invitation.email}; its link no longer works."
        )
        return redirect("cohorts:manage_invitations", slug=access.cohort.slug)
    return render(
        request,
        "cohorts/manage/invitation_revoke.html",
        {"access": access, "cohort": access.cohort, "invitation": invitation},
    )


@cohort_view(MEMBER)
def preferences(request, access):
    """The member's own settings for this cohort: sections other apps add (reminders …) and
    the calendar link. A section that handled a POST answers with its redirect."""
    sections = []
    for provider in pages.preference_sections:
        result = provider(request, access)
        if isinstance(result, HttpResponse):
            return result
        if result:
            sections.append(result)
    return render(
        request,
        "cohorts/preferences.html",
        {
            "access": access,
            "cohort": access.cohort,
            "membership": access.membership,
            "sections": sections,
        },
    )


@never_cache
def invitation(request, token):
    """Opening the link shows the invitation; only a POST by the invited address accepts it."""
    invitation = get_object_or_404(
        Invitation.objects.select_related("cohort", "invited_by"), token_digest=digest(token)
    )
    state = invitation.state
    context = {"invitation": invitation, "cohort": invitation.cohort, "state": state}
    if state != "pending":
        return render(request, "cohorts/invitation.html", context, status=410)
    user = request.user
    if not user.is_authenticated:
        # The link reached this inbox: signing up with this address needs no second code.
        get_account_adapter(request).stash_verified_email(request, invitation.email)
    context["email_matches"] = user.is_authenticated and invitations.user_owns_email(
        user, invitation.email
    )
    context["form"] = _details_form(request)
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect(f"{invitation.get_absolute_url()}")
        if not context["email_matches"]:
            return render(request, "cohorts/invitation.html", context, status=403)
        form = context["form"]
        details_sent = any(name in request.POST for name in form.fields)
        if details_sent and not form.is_valid():
            return render(request, "cohorts/invitation.html", context, status=400)
        membership = invitations.accept(invitation, user)
        if details_sent:
            joining.apply_details(membership, _details(form))
        forget_navigation(request)
        messages.success(request, f"Welcome to {invitation.cohort}!")
        return redirect(invitation.cohort)
    return render(request, "cohorts/invitation.html", context)


def _details_form(request):
    """The name-and-level form of the join and invitation pages."""
    if request.method == "POST":
        return JoinDetailsForm(request.POST)
    initial = {"name": request.user.name} if request.user.is_authenticated else {}
    return JoinDetailsForm(initial=initial)


def _details(form):
    return joining.Details(
        experience=form.cleaned_data["experience"], name=form.cleaned_data["name"]
    )


JOIN_STATUS = {
    permissions.RESET: 410,
    permissions.OFF: 410,
    permissions.CLOSED: 410,
    permissions.FULL: 410,
    permissions.WRONG_DOMAIN: 403,
    permissions.REMOVED: 403,
}


@never_cache
def join(request, code):
    """A cohort's shareable join link: shows the cohort, and a signed-in visitor joins it.

    Codes are unguessable, and guessing is rate-limited per address as well."""
    if not joining.guess_allowed(request, record=False):
        return render(request, "cohorts/join_limited.html", status=429)
    link = JoinLink.objects.select_related("cohort").filter(code_digest=digest(code[:64])).first()
    if link is None:
        joining.guess_allowed(request, record=True)
        raise Http404("No such join link.")
    cohort = link.cohort
    user = request.user
    context = {"link": link, "cohort": cohort, "first_week": cohort.weeks.first()}
    if user.is_authenticated:
        membership = Membership.objects.filter(cohort=cohort, user=user).first()
        if membership is not None and membership.left_at is None:
            return redirect(cohort)
    reason = permissions.link_refusal(link)
    if reason is None and user.is_authenticated:
        reason = permissions.person_refusal(link, user)
    context["reason"] = reason
    if reason:
        return render(request, "cohorts/join.html", context, status=JOIN_STATUS[reason])
    form = context["form"] = _details_form(request)
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect_to_login(link.get_absolute_url())
        if not form.is_valid():
            return render(request, "cohorts/join.html", context, status=400)
        try:
            membership = joining.join(link, user, _details(form))
        except joining.Refused as refused:
            context["reason"] = refused.reason
            return render(request, "cohorts/join.html", context, status=JOIN_STATUS[refused.reason])
        forget_navigation(request)
        messages.success(request, f"Welcome to {cohort}!")
        return redirect(joining.landing_url(membership))
    return render(request, "cohorts/join.html", context)


@cohort_view(ORGANIZER)
def manage_join_link(request, access):
    """Switch the join link on, set its limits, or reset it (the old link stops working)."""
    cohort = access.cohort
    link = joining.current_link(cohort)
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "switch_on":
        joining.switch_on(cohort)
        messages.success(request, "The join link works now. Share it with the people you expect.")
        return redirect("cohorts:manage_join_link", slug=cohort.slug)
    if action == "reset" and link is not None:
        joining.reset(cohort)
        messages.success(request, "The join link is new; the old one no longer works.")
        return redirect("cohorts:manage_join_link", slug=cohort.slug)
    form = JoinLinkForm(request.POST if action == "save" else None, instance=link)
    if action == "save" and link is not None and form.is_valid():
        form.save()
        messages.success(request, "Join link saved.")
        return redirect("cohorts:manage_join_link", slug=cohort.slug)
    return render(
        request,
        "cohorts/manage/join_link.html",
        {
            "access": access,
            "cohort": cohort,
            "link": link,
            "form": form if link is not None else None,
            "link_url": f"{settings.SITE_URL}{link.get_absolute_url()}" if link else "",
            "participants": permissions.participant_count(cohort),
            "joined_by_link": cohort.memberships.active()
            .filter(joined_via=Membership.Via.LINK)
            .count(),
        },
        status=400 if action == "save" and form.errors else 200,
    )


@require_safe
@never_cache
def calendar_feed(request, slug):
    """The member's calendar.ics. Calendar apps have no session, so the token in the URL is
    the only key: this is the one cohort URL outside cohort_view (see cohorts.calendar)."""
    membership = calendar.membership_for(slug, request.GET.get("token", ""))
    if membership is None:
        raise Http404("No such calendar.")
    response = HttpResponse(calendar.feed(membership), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{slug}.ics"'
    return response


# Checked by tests/cohorts/test_access.py instead of a cohort_view rule.
calendar_feed.token_access = True


@cohort_view(MEMBER)
@require_POST
def calendar_reset(request, access):
    access.membership.reset_calendar_token()
    messages.success(
        request, "Your calendar link is new; the old one no longer works. Subscribe with this one."
    )
    return redirect(
        reverse("cohorts:preferences", kwargs={"slug": access.cohort.slug}) + "#calendar"
    )


@login_required
def account_name(request):
    """Change the name others see (it is asked at sign-up, and people change it)."""
    form = NameForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Your name is now “{request.user.name}”.")
        return redirect("account_name")
    return render(request, "cohorts/account_name.html", {"form": form})
