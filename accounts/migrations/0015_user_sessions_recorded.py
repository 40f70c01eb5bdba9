"""Record, once, whose every live session is (allauth.usersessions' `UserSession`): from here on
sign-ins record theirs (accounts/user_sessions.py), and a person's sessions are found by a query."""

from django.contrib.sessions.backends.db import SessionStore
from django.db import migrations
from django.utils import timezone

UNKNOWN_ADDRESS = "0.0.0.0"


def record_live_sessions(apps, schema_editor):
    Session = apps.get_model("sessions", "Session")
    UserSession = apps.get_model("usersessions", "UserSession")
    User = apps.get_model("accounts", "User")
    whose = {}
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        user_id = SessionStore().decode(session.session_data).get("_auth_user_id")
        if user_id is not None and str(user_id).isdigit():
            whose[session.session_key] = int(user_id)
    known = set(User.objects.filter(pk__in=set(whose.values())).values_list("pk", flat=True))
    rows = [
        UserSession(session_key=key, user_id=user_id, ip=UNKNOWN_ADDRESS, user_agent="")
        for key, user_id in whose.items()
        if user_id in known
    ]
    UserSession.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0014_organization_policy_epoch_triggers"),
        ("sessions", "0001_initial"),
        ("usersessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(record_live_sessions, migrations.RunPython.noop)]
