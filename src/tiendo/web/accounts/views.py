"""Account pages: the second factor (enrol, verify, backup codes) and Django's password views with
tiendo's templates, each change written to the audit log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import user_has_device

from tiendo.core.auth_events import audit_auth_event
from tiendo.web.accounts import second_factor as otp


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Mã xác thực"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@login_required
@require_http_methods(["GET", "POST"])
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """Scan the QR code (or type the secret), confirm with a code; the backup codes are shown once."""
    if user_has_device(request.user, confirmed=True):
        return redirect("account-security" if otp.session_is_verified(request) else "otp-verify")
    device = otp.enrolment_device(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = otp.totp_enrol(request=request, device=device, token=form.cleaned_data["code"])
        if codes is not None:
            return render(
                request, "web/accounts/otp_backup_codes.html", {"codes": codes, "next": _next_url(request)}
            )
        form.add_error("code", _("Mã không đúng hoặc đã hết hạn; nhập mã đang hiện trong ứng dụng."))
    context = {
        "form": form,
        "qr_svg": otp.qr_svg(device),
        "secret": otp.secret_base32(device),
        "next": _next_url(request),
        "required": otp.second_factor_due(request) == otp.ENROL,
    }
    return render(request, "web/accounts/otp_enrol.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    if not user_has_device(request.user, confirmed=True):
        return redirect("otp-enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if otp.second_factor_verify(request=request, token=form.cleaned_data["code"]):
            return redirect(_next_url(request))
        form.add_error("code", _("Mã không đúng (hoặc thử quá nhanh sau lần sai); chờ mã mới rồi nhập lại."))
    return render(
        request,
        "web/accounts/otp_verify.html",
        {"form": form, "next": _next_url(request)},
        status=400 if form.errors else 200,
    )


@login_required
def account_security(request: HttpRequest) -> HttpResponse:
    """The account's page: password change, second factor status, new backup codes."""
    context = {
        "has_device": user_has_device(request.user, confirmed=True),
        "required": settings.TIENDO_REQUIRE_2FA and otp.user_requires_second_factor(request.user),
    }
    return render(request, "web/accounts/account_security.html", context)


@login_required
@require_POST
def otp_backup_codes(request: HttpRequest) -> HttpResponse:
    if not otp.session_is_verified(request):
        return redirect("otp-verify")
    codes = otp.backup_codes_regenerate(request=request)
    return render(request, "web/accounts/otp_backup_codes.html", {"codes": codes, "next": "/"})


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/accounts/password_change_form.html"

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit_auth_event(action="auth.password_change", request=self.request, user=form.user)
        messages.success(self.request, _("Đã đổi mật khẩu."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "web/accounts/password_reset_form.html"
    email_template_name = "web/accounts/password_reset_email.txt"
    subject_template_name = "web/accounts/password_reset_subject.txt"

    def form_valid(self, form: Any) -> HttpResponse:
        audit_auth_event(
            action="auth.password_reset_request",
            request=self.request,
            details={"email": form.cleaned_data["email"]},
        )
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "web/accounts/password_reset_confirm.html"

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit_auth_event(action="auth.password_reset", request=self.request, user=form.user)
        from axes.utils import reset as axes_reset

        axes_reset(username=form.user.get_username())  # proved control of the mailbox: unlock
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "web/accounts/password_change_done.html"


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "web/accounts/password_reset_done.html"


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "web/accounts/password_reset_complete.html"
