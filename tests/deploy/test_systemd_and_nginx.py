"""The systemd units and the nginx site: what ``systemd-analyze verify`` and ``nginx -t``
say (where installed), that they agree with Vaka's settings and with each other, and that
nginx, run for real, keeps export keys and query strings out of its access log."""

import http.server
import os
import re
import shutil
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.deploy.files import (
    NGINX_SITE,
    UNITS,
    VAKA,
    nginx_directives,
    unit,
    vaka_commands,
)
from tests.ports import free_port, serve_in_background

pytestmark = pytest.mark.one_database  # the shipped files, nginx and a stand-in app

NGINX = Path("/usr/sbin/nginx")
EXPECTED_UNITS = {"vaka-web.service", "vaka-worker.service", "vaka-beat.service",
                  "vaka-scheduler.service"}
SHARED_KEYS = ("User", "Group", "EnvironmentFile", "WorkingDirectory", "Restart",
               "StateDirectory", "StateDirectoryMode", "ReadWritePaths", "UMask",
               "NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp",
               "PrivateDevices", "CapabilityBoundingSet", "RestrictAddressFamilies",
               "SystemCallFilter")


def test_one_unit_per_process_each_running_a_vaka_command() -> None:
    assert {path.name for path in UNITS} == EXPECTED_UNITS
    commands = vaka_commands()
    for path in UNITS:
        executable, subcommand, *_ = unit(path)["Service"]["ExecStart"].split()
        assert executable.endswith("/bin/vaka"), path.name
        assert subcommand in commands, f"{path.name}: `vaka {subcommand}` does not exist"
        process = "web" if subcommand == "serve" else subcommand
        assert path.name == f"vaka-{process}.service"


def test_units_share_their_user_environment_and_hardening() -> None:
    web = unit(UNITS[[p.name for p in UNITS].index("vaka-web.service")])["Service"]
    assert web["User"] == "vaka" and web["EnvironmentFile"] == "/etc/vaka/vaka.env"
    assert web["Restart"] == "on-failure"
    assert web["NoNewPrivileges"] == "yes" and web["ProtectSystem"] == "strict"
    assert web["PrivateTmp"] == "yes"
    data_dir = web["Environment"].removeprefix("VAKA_DATA_DIR=")
    assert web["ReadWritePaths"] == data_dir == web["WorkingDirectory"]
    for path in UNITS:
        service = unit(path)["Service"]
        for key in (*SHARED_KEYS, "Environment"):
            assert service[key] == web[key], f"{path.name}: {key}"


def test_web_unit_listens_where_the_nginx_site_proxies() -> None:
    web = next(p for p in UNITS if p.name == "vaka-web.service")
    command = unit(web)["Service"]["ExecStart"].split()
    address = f"{command[command.index('--host') + 1]}:{command[command.index('--port') + 1]}"
    assert nginx_directives("server") == [address]
    assert all(target == "http://vaka_app" for target in nginx_directives("proxy_pass"))


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd is not installed")
def test_systemd_analyze_verify_finds_nothing(tmp_path: Path) -> None:
    # verify checks that ExecStart's program exists: point it at this checkout's `vaka`.
    for path in UNITS:
        text = re.sub(r"^ExecStart=\S+/bin/vaka", f"ExecStart={VAKA}", path.read_text(),
                      flags=re.MULTILINE)
        (tmp_path / path.name).write_text(text)
    done = subprocess.run(["systemd-analyze", "verify", "--man=no",
                           *sorted(str(p) for p in tmp_path.glob("*.service"))],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def test_nginx_site_terminates_tls_and_tells_vaka_so() -> None:
    assert nginx_directives("ssl_protocols") == ["TLSv1.2 TLSv1.3"]
    assert "max-age=31536000" in nginx_directives("add_header")[0]
    assert nginx_directives("proxy_hide_header") == ["Strict-Transport-Security"]
    headers = nginx_directives("proxy_set_header")
    assert "X-Forwarded-Proto $scheme" in headers
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in headers
    assert "Host $host" in headers
    text = NGINX_SITE.read_text()
    for variable in ("VAKA_HTTPS=1", "VAKA_PROXY_COUNT=1"):
        assert variable in text


def test_nginx_accepts_an_upload_vaka_would_refuse_with_its_own_message() -> None:
    (limit,) = nginx_directives("client_max_body_size")
    assert int(limit.removesuffix("m")) > settings.MAX_UPLOAD_MB


def test_nginx_logs_the_path_without_query_string() -> None:
    (log_format,) = [f for f in nginx_directives("log_format") if f.startswith("vaka ")]
    for whole_request in ("$request_uri", "$args", "$query_string", "$request ",
                          "$http_referer", "$http_authorization"):
        assert whole_request not in log_format + " "
    assert "$vaka_log_path" in log_format
    assert all(log.endswith(" vaka") for log in nginx_directives("access_log")
               if log != "off")


def test_nginx_passes_the_health_probes_through() -> None:
    text = re.sub(r"#[^\n]*", "", NGINX_SITE.read_text())
    for probe in ("/health/live", "/health/ready"):
        block = re.search(rf"location = {probe} \{{([^}}]*)\}}", text).group(1)
        assert "proxy_pass http://vaka_app;" in block


def _nginx_site_for_test(directory: Path, app_port: int, https_port: int,
                         http_port: int) -> Path:
    """The site with test certificates, ports and paths, inside a minimal nginx.conf."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=vaka.example.org", "-keyout", str(directory / "key.pem"),
                    "-out", str(directory / "cert.pem")], check=True, capture_output=True)
    site = NGINX_SITE.read_text()
    for old, new in (
        ("/etc/letsencrypt/live/vaka.example.org/fullchain.pem", str(directory / "cert.pem")),
        ("/etc/letsencrypt/live/vaka.example.org/privkey.pem", str(directory / "key.pem")),
        ("/var/cache/nginx/vaka", str(directory / "cache")),
        ("/var/log/nginx/", f"{directory}/"),
        ("/var/www/letsencrypt", str(directory)),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
    ):
        assert old in site, old
        site = site.replace(old, new)
    site = re.sub(r"^\s*listen \[::\]:.*$", "", site, flags=re.MULTILINE)
    (directory / "site.conf").write_text(site)
    temp = directory / "temp"
    temp.mkdir()
    config = directory / "nginx.conf"
    config.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"pid {directory}/nginx.pid;\nerror_log {directory}/error.log;\ndaemon off;\n"
        "events {}\nhttp {\n"
        + "".join(f"    {kind}_temp_path {temp}/{kind};\n"
                  for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        + f"    include {directory}/site.conf;\n}}\n")
    return config


@pytest.mark.skipif(not NGINX.exists(), reason="nginx is not installed")
def test_nginx_t_accepts_the_site(tmp_path: Path) -> None:
    config = _nginx_site_for_test(tmp_path, free_port(), free_port(), free_port())
    done = subprocess.run([str(NGINX), "-t", "-p", str(tmp_path), "-c", str(config)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "[warn]" not in done.stderr and "[emerg]" not in done.stderr, done.stderr


class _App(http.server.BaseHTTPRequestHandler):
    """Stands in for Vaka: records the headers nginx sends and sends HSTS of its own."""

    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:
        _App.seen.append(dict(self.headers))
        body = b"ok"
        self.send_response(200)
        self.send_header("Strict-Transport-Security", "max-age=1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.skipif(not NGINX.exists(), reason="nginx is not installed")
def test_nginx_proxies_with_the_client_address_and_logs_no_secret(tmp_path: Path) -> None:
    app = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _App)
    serve_in_background(app)
    https_port, http_port = free_port(), free_port()
    config = _nginx_site_for_test(tmp_path, app.server_address[1], https_port, http_port)
    nginx = subprocess.Popen([str(NGINX), "-p", str(tmp_path), "-c", str(config)],
                             stderr=subprocess.PIPE)
    unverified = ssl.create_default_context()
    unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=unverified))
    secret_path = "/intel/export/vakx_PathSecret123/blocklist.txt"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = opener.open(urllib.request.Request(
                    f"https://127.0.0.1:{https_port}{secret_path}?key=QuerySecret456&q=x",
                    headers={"Host": "vaka.example.org"}), timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline and nginx.poll() is None, "nginx"
                time.sleep(0.2)
        assert answer.status == 200
        assert answer.headers.get_all("Strict-Transport-Security") == ["max-age=31536000"]
        sent = _App.seen[-1]
        assert sent["X-Forwarded-Proto"] == "https"
        assert sent["X-Forwarded-For"] == "127.0.0.1"
        assert sent["Host"] == "vaka.example.org" and sent["X-Request-ID"]
    finally:
        nginx.terminate()
        nginx.wait(timeout=30)
        app.shutdown()
    log = (tmp_path / "vaka.access.log").read_text()
    assert "/intel/export/vakx_[redacted]/blocklist.txt" in log
    for secret in ("PathSecret123", "QuerySecret456", "q=x"):
        assert secret not in log
