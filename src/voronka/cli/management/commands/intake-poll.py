"""voronka intake-poll: poll the IMAP mailboxes of the e-mail channels in a loop (or once).

The task worker polls by itself (each poll task queues the next one); this command is for
backends that cannot schedule tasks, for cron (`--once`), and to restart a stopped schedule.
"""

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from voronka.intake.services.channels import schedule_polling
from voronka.intake.services.imap import claim_poll, due_time, interval_of, mailboxes, poll_mailbox


class Command(BaseCommand):
    help = "Poll the IMAP mailboxes of the e-mail channels (a loop; --once for one round)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="poll every due mailbox once and exit")
        parser.add_argument(
            "--reschedule", action="store_true", help="restart the task worker's poll schedule"
        )

    def handle(self, *args, once, reschedule, **options):
        if reschedule:
            for channel in mailboxes():
                schedule_polling(channel, at=timezone.now())
            self.stdout.write("Scheduled.")
            return
        while True:
            for channel in mailboxes():
                due = due_time(channel)
                if due > timezone.now() and not once:
                    continue
                if claim_poll(channel.pk, due) is not None:
                    count = poll_mailbox(channel)
                    self.stdout.write(f"{channel}: {count} new")
            if once:
                return
            time.sleep(min((interval_of(c).total_seconds() for c in mailboxes()), default=60))
