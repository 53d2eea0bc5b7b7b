from django.contrib.auth.models import AnonymousUser, User

# The acting user as views and services receive it (request.user): signed in or anonymous.
Actor = User | AnonymousUser
