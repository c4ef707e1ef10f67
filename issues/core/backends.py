"""Signing in with a username and password, and reading the signed-in user back on each request."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

UserModel = get_user_model()


class LedgerBackend(ModelBackend):
    """Django's own check of the password; the user of each request is read with the profile and the
    unit every page asks for (the roles, the unit's scope), in one query instead of three."""

    def get_user(self, user_id):
        try:
            user = UserModel._default_manager.select_related("profile__unit").get(pk=user_id)
        except UserModel.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
