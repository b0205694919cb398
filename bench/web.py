"""Server time of the web UI's heaviest pages with 1,000,000 deals, beside a minimal view.

    .venv/bin/python bench/web.py [--deals 1000000] [--runs 15]

Uses bench/data/web.sqlite3 (made once, then reused) unless DATABASE_URL is set. Requests go
through Django's test client: the whole middleware stack, the view, the queries and the
template, without a network hop. Targets on SQLite: board <= 150 ms, list <= 100 ms, card <= 50 ms.
The board keeps the totals of its won / lost columns for a minute (voronka.web.totals); the
"nothing cached" row is a board whose closed-column totals are counted on every request.
The machine is shared: the load average is printed, and beside the wall time the CPU time the
request took in this process (SQLite runs in-process, so on a busy machine the CPU time is the
figure the other processes do not inflate).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voronka.settings")
if not os.environ.get("DATABASE_URL"):
    (ROOT / "bench" / "data").mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'bench' / 'data' / 'web.sqlite3'}"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import include, path  # noqa: E402


def minimal(request):
    return HttpResponse("ok")


urlpatterns = [path("bench/minimal/", minimal), path("", include("voronka.urls"))]


def timed(client: Client, url: str, runs: int) -> tuple[float, float, float]:
    """Return the median and p90 wall time and the median CPU time of `url`, in ms."""
    for _warm in range(2):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    wall, cpu = [], []
    for _run in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    wall.sort()
    return statistics.median(wall), wall[int(len(wall) * 0.9) - 1], statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = ["*"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)

    from web_data import ensure_deals

    from voronka.accounts.models import User
    from voronka.accounts.services import create_user
    from voronka.crm.models import Deal
    from voronka.crm.selectors.boards import column_page
    from voronka.crm.selectors.items import visible

    data = ensure_deals(args.deals)
    admin = User.objects.filter(username="bench_admin").first() or create_user(
        username="bench_admin", role="administrator", is_superuser=True
    )
    card = Deal.objects.order_by("-pk").first()
    print(
        f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}: {data.deals:,} deals (ready in {data.seconds:.1f} s)"
    )
    rows = []
    for who, user in (("admin (all deals)", admin), ("manager (department)", data.manager)):
        client = Client()
        client.force_login(user)
        pages = [
            ("minimal view", "/bench/minimal/", None),
            ("deal board", "/deals/", 150),
            ("deal board, nothing cached", "/deals/?uncached", None),
            ("deal list", "/deals/list/", 100),
            ("deal list by amount", "/deals/list/?sort=-amount", 100),
            ("deal list, search", "/deals/list/?q=valve", 100),
            ("board column, next page", None, 150),
            ("deal card", f"/deals/{card.pk}/", 50),
        ]
        last = list(card.pipeline.stages.order_by("sort"))[-1]
        cursor = column_page(visible(user, "deal"), "deal", last, limit=20).next_cursor
        for name, url, target in pages:
            if url is None:
                url = f"/deals/board/column/{last.pk}/?cursor={cursor}"
            if user is data.manager and name == "deal card":
                continue  # the sample card belongs to another manager's department half the time
            settings.BOARD_CLOSED_TOTALS_SECONDS = 0 if url.endswith("?uncached") else 60
            median, p90, cpu = timed(client, url, args.runs)
            verdict = "" if target is None else ("ok" if median <= target else f"OVER {target} ms")
            rows.append((who, name, median, p90, cpu, verdict))
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"{'user':<22} {'page':<28} {'median ms':>10} {'p90 ms':>8} {'cpu ms':>8}  target (median)")
    for who, name, median, p90, cpu, verdict in rows:
        print(f"{who:<22} {name:<28} {median:>10.1f} {p90:>8.1f} {cpu:>8.1f}  {verdict}")


if __name__ == "__main__":
    main()
