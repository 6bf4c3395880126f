from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from psaportal.accounts import roles, services
from psaportal.accounts.audit import record_audit
from psaportal.accounts.forms import ProfileForm, UserCreateForm, UserUpdateForm
from psaportal.accounts.models import AuditEntry

User = get_user_model()


@permission_required(roles.MANAGE_USERS, raise_exception=True)
def user_list(request):
    users = User.objects.order_by("username").prefetch_related("groups")
    rows = [(user, roles.ROLE_LABELS.get(roles.role_of(user), "—")) for user in users]
    return render(request, "accounts/user_list.html", {"rows": rows})


@permission_required(roles.MANAGE_USERS, raise_exception=True)
def user_create(request):
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_create(actor=request.user, **form.cleaned_data)
        messages.success(request, f"{user.username} can now log in.")
        return redirect("accounts:user_list")
    return render(
        request,
        "accounts/user_form.html",
        {"form": form, "title": "New team member"},
        status=400 if form.errors else 200,
    )


@permission_required(roles.MANAGE_USERS, raise_exception=True)
def user_edit(request, user_id: int):
    member = get_object_or_404(User, pk=user_id)
    initial = {
        "email": member.email,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "role": roles.role_of(member) or roles.TECHNICIAN,
        "is_active": member.is_active,
    }
    form = UserUpdateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(actor=request.user, user=member, **form.cleaned_data)
        except ValueError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Saved {member.username}.")
            return redirect("accounts:user_list")
    return render(
        request,
        "accounts/user_form.html",
        {"form": form, "member": member, "title": f"Edit {member.username}"},
        status=400 if form.errors else 200,
    )


@permission_required(roles.MANAGE_USERS, raise_exception=True)
def audit_log(request):
    page = Paginator(AuditEntry.objects.all(), 50).get_page(request.GET.get("page"))
    return render(request, "accounts/audit_log.html", {"page": page})


@require_http_methods(["GET", "POST"])
def profile(request):
    """The user's own page: who they are, and (managers and admins) the weekly digest."""
    can_digest = request.user.has_perm(roles.VIEW_REPORTS)
    if request.method == "POST" and not can_digest:
        raise PermissionDenied
    saved = services.profile_get(user=request.user)
    # Not `request.POST or None`: a checkbox left empty posts nothing, and that is an answer.
    data = request.POST if request.method == "POST" else None
    form = ProfileForm(data, initial={"weekly_digest": saved.weekly_digest})
    if request.method == "POST" and form.is_valid():
        services.profile_update(user=request.user, **form.cleaned_data)
        messages.success(request, "Saved your settings.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form, "can_digest": can_digest})


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        record_audit(
            user=self.request.user,
            action="user.password_change",
            target_type="user",
            target_id=self.request.user.pk,
            summary="Changed own password",
        )
        return response
