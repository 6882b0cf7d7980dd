"""The lookup page's first screen for 10,000 values: its HTML size and server time.

    python bench/lookup_page.py [--values 10000] [--runs 3]

Unit A stores 2,000 values every member sees, Unit B 2,000 only it sees; an analyst of
Unit A then looks up 10,000 values on the web page: 2,000 found in records they see, 2,000
held by Unit B (hit/no-hit), 500 invalid, the rest unknown. Reported: the bytes of the HTML
the browser must receive before it can show the first screen, the server's time to answer
the POST (and, since answers are kept and paged, the GET of page 1 it redirects to), the
time of the next page, the unpaged API's answer, and the time of the lookup alone
(``services.lookup``) as the baseline: the page can never answer faster than the lookup it
shows, so the ratio says what rendering costs.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(data_dir: str) -> None:
    os.environ["VAKA_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaka.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def world(values: int) -> tuple[object, list[str]]:
    from vaka.directory.models import Organisation, User
    from vaka.intel import services
    from vaka.policy.services import Markings

    a = Organisation.objects.create(name="Bench A", kind="police_unit")
    b = Organisation.objects.create(name="Bench B", kind="police_unit")
    user = User.objects.create(username="bench", organisation=a, role="analyst")
    seen = [f"seen{i}.bench-a.net" for i in range(2000)]
    held = [f"held{i}.bench-b.net" for i in range(2000)]
    services.ingest_bytes(("value\n" + "\n".join(seen)).encode(), organisation=a, user=user,
                          source="api", fmt="csv",
                          markings=Markings(tlp="green", distribution="members"))
    services.ingest_bytes(("value\n" + "\n".join(held)).encode(), organisation=b, user=user,
                          source="api", fmt="csv",
                          markings=Markings(tlp="amber", distribution="organisation"))
    rest = values - len(seen) - len(held)
    asked = seen + held + [f"not a value {i}" for i in range(500)] + [
        f"quiet{i}.bench-none.org" for i in range(rest - 500)]
    return user, asked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        setup_django(data_dir)
        from django.core.management import call_command
        from django.test import Client
        from django.test.utils import override_settings
        from rest_framework.test import APIClient

        from vaka.directory.services import create_token
        from vaka.intel import services

        call_command("migrate", verbosity=0)
        user, asked = world(args.values)
        plain = {"staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
        with override_settings(ALLOWED_HOSTS=["testserver"], STORAGES=plain):
            client = Client()
            client.force_login(user)
            body = {"values": "\n".join(asked)}
            lookups, pages, size = [], [], 0
            for _run in range(args.runs):
                start = time.perf_counter()
                services.lookup(asked, user=user)
                lookups.append(time.perf_counter() - start)
                start = time.perf_counter()
                response = client.post("/intel/lookup/", body)
                location = response.get("Location", "")
                if location:  # the answers are kept; page 1 is a GET
                    response = client.get(location)
                pages.append(time.perf_counter() - start)
                assert response.status_code == 200, response.status_code
                size = len(response.content)
            page, lookup = statistics.median(pages), statistics.median(lookups)
            print(f"lookup page, {args.values:,} values: first screen {size / 1024:,.0f} KiB "
                  f"HTML in {page:.2f} s (median of {args.runs}); the lookup alone "
                  f"{lookup:.2f} s; ratio {page / lookup:.2f}")
            if location:
                start = time.perf_counter()
                second = client.get(f"{location}&page=2")
                print(f"next page: {len(second.content) / 1024:,.0f} KiB in "
                      f"{time.perf_counter() - start:.2f} s")
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION=f"Token {create_token(user, name='b')[1]}")
            start = time.perf_counter()
            answer = api.post("/api/lookup/", {"values": asked}, format="json")
            print(f"API /api/lookup/ (unpaged): {len(answer.content) / 1024:,.0f} KiB JSON in "
                  f"{time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
