"""The steps of the full-disk test, run as one process whose data directory is on a small
file system of its own (``tests/integration/test_full_disk.py`` mounts it): a store with
one submission, then the disk filled to the last byte, then every kind of read and write,
then space freed. Prints one JSON object of what each step answered.

    python -m tests.integration.full_disk DATA_DIR FILLER
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaka.settings")

MARKINGS = {"tlp": "green", "distribution": "organisation", "pap": "green"}
HELD = "full-disk-held.example"


def fill(filler: Path) -> None:
    """Write zeros to ``filler`` until the file system has not a byte left."""
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for size in (2**20, 4096, 1):
            try:
                while True:
                    os.write(descriptor, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(descriptor)


def answer(response: Any) -> dict[str, Any]:
    """A request's status and body (JSON or text), its database connection closed after
    it as the server's are (``CONN_MAX_AGE`` 0): the next request opens its own."""
    from django.db import connections

    connections.close_all()
    body = response.content.decode()
    if response.get("Content-Type", "").startswith("application/json"):
        return {"status": response.status_code, "json": json.loads(body)}
    return {"status": response.status_code, "text": body}


def vaka(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "vaka.cli", *args], capture_output=True,
                          text=True, timeout=120, check=False)
    return {"code": done.returncode, "stdout": done.stdout, "stderr": done.stderr}


def stored(data_dir: Path) -> dict[str, Any]:
    """Submissions in the database and files in the storage (closing the connection)."""
    from django.db import connections

    from vaka.intel.models import Submission

    files = data_dir / "files"
    found = {"submissions": Submission.objects.count(),
             "files": sorted(str(p.relative_to(files)) for p in files.rglob("*")
                             if p.is_file()) if files.exists() else []}
    connections.close_all()
    return found


def main(data_dir: Path, filler: Path) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import Client
    from rest_framework.test import APIClient

    from tests.factories import OrganisationFactory, UserFactory
    from tests.intel.store_data import bundle, indicator
    from vaka.directory.services import create_token
    from vaka.intel import services
    from vaka.intel.models import StixObject, Submission
    from vaka.policy.services import Markings

    call_command("migrate", verbosity=0)
    unit = OrganisationFactory(name="Unit A")
    analyst = UserFactory(username="analyst", organisation=unit)
    services.ingest_bytes(bundle(indicator(HELD)), organisation=unit, user=analyst,
                          markings=Markings(tlp="green"), source=Submission.Source.API)
    record = StixObject.objects.get()
    _token, key = create_token(analyst, name="script")
    web = Client(raise_request_exception=False)
    web.force_login(analyst)
    api = APIClient(raise_request_exception=False)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    before = stored(data_dir)
    upload = bundle(indicator("full-disk-new.example"))
    results: dict[str, Any] = {"before": before}

    fill(filler)
    results["full"] = {
        "pages": {path: answer(web.get(path))["status"] for path in (
            "/", "/intel/objects/", f"/intel/objects/{record.pk}/", "/intel/submissions/",
            "/intel/lookup/")},
        "api_objects": answer(api.get("/api/objects/")),
        "api_lookup": answer(api.post("/api/lookup/", {"values": [HELD]}, format="json")),
        "health": answer(Client().get("/health/ready")),
        "api_submit": answer(api.post("/api/submissions/", {
            "file": SimpleUploadedFile("iocs.json", upload), **MARKINGS},
            format="multipart")),
        "web_submit": answer(web.post("/intel/submit/", {
            "file": SimpleUploadedFile("iocs.json", upload), **MARKINGS})),
        "audit_verify": vaka("audit", "verify"),
    }
    source = filler.with_name("iocs.json")
    filler.unlink()
    source.write_bytes(upload)
    fill(filler)
    results["full"]["cli_ingest"] = vaka("ingest", str(source), "--org", "Unit A",
                                         "--tlp", "green")
    results["full"]["stored"] = stored(data_dir)

    filler.unlink()
    results["freed"] = {
        "api_submit": answer(api.post("/api/submissions/", {
            "file": SimpleUploadedFile("iocs.json", upload), **MARKINGS},
            format="multipart")),
        "health": answer(Client().get("/health/ready")),
        "audit_verify": vaka("audit", "verify"),
        "stored": stored(data_dir),
    }
    return results


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))))
