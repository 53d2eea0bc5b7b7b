from django.utils import timezone

from tiendo.core.commands import TranslatedHelpCommand
from tiendo.reporting.reminders import reminders_send


class Command(TranslatedHelpCommand):
    help = "Send the deadline reminders due today (each once; safe to run from cron or repeatedly)."

    def handle(self, *args, **options):
        run = reminders_send(today=timezone.localdate())
        self.stdout.write(f"reminders: {run.sent} sent, {run.notifications} in-app, {run.emails} e-mails")
