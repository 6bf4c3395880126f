from django import forms
from django.contrib.auth import get_user_model, password_validation

from psaportal.accounts import roles

User = get_user_model()
ROLE_CHOICES = [(role, roles.ROLE_LABELS[role]) for role in roles.ROLES]


class UserCreateForm(forms.Form):
    username = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial=roles.TECHNICIAN)
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=True),
        help_text="The member changes it after the first login.",
    )

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("That username is taken.")
        return username

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password"):
            probe = User(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(cleaned["password"], probe)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class UserUpdateForm(forms.Form):
    email = forms.EmailField(required=False)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=ROLE_CHOICES)
    is_active = forms.BooleanField(required=False, label="Active (can log in)")


class ProfileForm(forms.Form):
    weekly_digest = forms.BooleanField(
        required=False,
        label="Weekly digest",
        help_text="Every Monday morning, an email with last week's key figures and links "
        "into the reports.",
    )
