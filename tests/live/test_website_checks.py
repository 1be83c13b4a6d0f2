"""Live tests of the website.* checks (through the box's published HTTP and HTTPS ports) and of linux.port_listening and
linux.survives_kill, each passing and failing, against a real box running deploy-101's app behind nginx."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.live.box import SERVICE, box_context, check_runner, no, ok, running_box, shell

pytestmark = pytest.mark.live
DEPLOY = Path(__file__).resolve().parents[2] / "labs" / "deploy-101"


@pytest.fixture(scope="module")
def box(engine, tmp_path_factory):
    """(manager, instance name) of a linuxbox-only instance running deploy-101's reference up to its HTTPS task."""
    with running_box(tmp_path_factory, "site") as (manager, name), box_context((manager, name)) as ctx:
        https = ctx.service(SERVICE).ports[443]
        for script in ["seed/01-hello-app.sh", "solution/01-user-and-code.sh", "solution/02-env-file.sh",
                       "solution/03-service.sh", "solution/04-nginx-proxy.sh", "solution/05-https.sh"]:
            code, out = ctx.exec(SERVICE, ["bash", "-c", f"export LABCTL_PORT_443={https}\n"
                                           + (DEPLOY / script).read_text()], None)
            assert code == 0, f"{script}: {out}"
        yield manager, name


@pytest.fixture
def ctx(box):
    with box_context(box, timeout=30) as context:
        yield context


@pytest.fixture
def sh(ctx):
    return shell(ctx)


@pytest.fixture
def run_check(ctx):
    return check_runner(ctx)


@pytest.fixture
def site(sh):
    """Replace the nginx site for one test (the reference's comes back afterwards)."""
    sh("cp /etc/nginx/sites-available/hello-app /root/hello-app.site")

    def put(text: str) -> None:
        sh(f"cat > /etc/nginx/sites-available/hello-app <<'SITE'\n{text}\nSITE\nnginx -t && systemctl reload nginx")
        time.sleep(0.5)
    yield put
    sh("cp /root/hello-app.site /etc/nginx/sites-available/hello-app && systemctl reload nginx")
    time.sleep(0.5)


HTTPS_BLOCK = """server {
    listen 443 ssl default_server;
    ssl_certificate /etc/ssl/certs/hello-app.crt;
    ssl_certificate_key /etc/ssl/private/hello-app.key;
    location / {
%s
    }
}"""
GOOD_LOCATION = """        proxy_pass http://127.0.0.1:8000;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"""


# ---- website.proxied -------------------------------------------------------------------------------

def test_proxied_passes_over_https_and_through_the_redirect(run_check):
    ok(run_check({"type": "website.proxied", "scheme": "https"}))
    ok(run_check({"type": "website.proxied", "scheme": "http"}))


def test_proxied_fails_without_forwarded_for(run_check, site, ctx):
    https = ctx.service(SERVICE).ports[443]
    site(f"server {{ listen 80 default_server; return 301 https://$host:{https}$request_uri; }}\n"
         + HTTPS_BLOCK % "        proxy_pass http://127.0.0.1:8000;\n        proxy_set_header Host $http_host;")
    no(run_check({"type": "website.proxied", "scheme": "https"}), "without adding the address it saw")
    no(run_check({"type": "website.proxied", "scheme": "http"}), "X-Forwarded-For exactly as the client sent it")


def test_proxied_fails_on_a_fixed_forwarded_for_and_a_lost_host(run_check, site):
    site(HTTPS_BLOCK % "        proxy_pass http://127.0.0.1:8000;\n        proxy_set_header Host $http_host;\n"
                       "        proxy_set_header X-Forwarded-For 10.1.2.3;")
    no(run_check({"type": "website.proxied", "scheme": "https"}), "not the address of the client nginx saw")
    site(HTTPS_BLOCK % "        proxy_pass http://127.0.0.1:8000;\n"
                       "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;")
    no(run_check({"type": "website.proxied", "scheme": "https"}), "does not pass the Host header")


def test_proxied_fails_on_a_static_page(run_check, site):
    site(HTTPS_BLOCK % "        default_type application/json;\n"
                       "        return 200 '{\"client\": \"127.0.0.1\", \"path\": \"/whoami\"}';")
    no(run_check({"type": "website.proxied", "scheme": "https"}), "is not about this request")


def test_proxied_without_follow_fails_on_the_redirect(run_check):
    no(run_check({"type": "website.proxied", "scheme": "http", "follow": False}), "did not reach the app: it redirected")


# ---- website.health --------------------------------------------------------------------------------

def test_health_passes_with_the_env_files_secret(run_check):
    ok(run_check({"type": "website.health", "scheme": "https", "env_file": "/etc/hello-app.env"}))


def test_health_fails_when_the_app_runs_with_another_secret(run_check, sh):
    sh("cp /etc/hello-app.env /root/env.bak && sed -i 's/^APP_SECRET=.*/APP_SECRET=changed-but-not-restarted/' "
       "/etc/hello-app.env")
    try:
        no(run_check({"type": "website.health", "scheme": "https", "env_file": "/etc/hello-app.env"}),
           "the app that answered does not run with that file")
        no(run_check({"type": "website.health", "scheme": "https", "env_file": "/etc/missing.env"}),
           "/etc/missing.env does not exist")
    finally:
        sh("cp /root/env.bak /etc/hello-app.env")


# ---- website.redirect ------------------------------------------------------------------------------

def test_redirect_passes(run_check):
    ok(run_check({"type": "website.redirect"}))


@pytest.mark.parametrize("target,message", [
    ("https://$host$request_uri", "without a port"),
    ("https://$host:$server_port$request_uri", "the box's HTTPS is published on port"),
    ("https://$host:PORT/", "are not kept"),
    ("https://127.0.0.1:PORT$request_uri", "but the client asked for localhost"),
    ("http://$host:PORT$request_uri", "expected an https:// address"),
])
def test_redirect_fails_on_each_mistake(run_check, site, ctx, target, message):
    https = ctx.service(SERVICE).ports[443]
    site(f"server {{ listen 80 default_server; return 301 {target.replace('PORT', str(https))}; }}\n"
         + HTTPS_BLOCK % GOOD_LOCATION)
    no(run_check({"type": "website.redirect"}), message)


# ---- website.tls -----------------------------------------------------------------------------------

def test_tls_passes_on_the_reference_certificate(run_check):
    ok(run_check({"type": "website.tls"}))


def test_tls_fails_when_443_does_not_speak_tls(run_check, site):
    site("server { listen 443 default_server; return 200 'plain'; }")
    no(run_check({"type": "website.tls"}), "no TLS answer on the box's port 443")


def test_tls_fails_on_a_certificate_for_another_name(run_check, sh):
    # Expired certificates and small keys are judged in tests/unit/test_site_tls.py (nginx here refuses a
    # 1024-bit key, and Debian 12's openssl cannot back-date one).
    sh("cp /etc/ssl/certs/hello-app.crt /root/c.bak && cp /etc/ssl/private/hello-app.key /root/k.bak")
    try:
        sh('openssl req -x509 -nodes -newkey rsa:2048 -days 30 -subj "/CN=example.com" -keyout '
           "/etc/ssl/private/hello-app.key -out /etc/ssl/certs/hello-app.crt 2>/dev/null && systemctl reload nginx")
        time.sleep(0.5)
        no(run_check({"type": "website.tls"}), "is for example.com (its common name, CN)")
    finally:
        sh("cp /root/c.bak /etc/ssl/certs/hello-app.crt && cp /root/k.bak /etc/ssl/private/hello-app.key && "
           "systemctl reload nginx")
        time.sleep(0.5)


# ---- linux.port_listening (as deploy-101 uses it) and linux.survives_kill ---------------------------

def test_listener_passes_for_the_app(run_check):
    ok(run_check({"type": "linux.port_listening", "port": 8000, "user": "hello", "system_user": True,
                  "loopback_only": True}))


def test_listener_fails_on_all_addresses_root_and_nothing(run_check):
    no(run_check({"type": "linux.port_listening", "port": 80, "loopback_only": True}), "TCP port 80 is open on 0.0.0.0")
    no(run_check({"type": "linux.port_listening", "port": 80, "loopback_only": False, "system_user": True}),
       "runs as root; run it as a system user")
    no(run_check({"type": "linux.port_listening", "port": 8000, "user": "learner"}), "runs as hello; expected learner")
    no(run_check({"type": "linux.port_listening", "port": 8999, "unit": "nothing"}), "nothing listens on TCP port 8999")


def test_survives_kill_passes_with_restart_on_failure(run_check):
    result = run_check({"type": "linux.survives_kill", "port": 8000, "within": 15})
    ok(result)
    ok(run_check({"type": "website.health", "scheme": "https", "env_file": "/etc/hello-app.env"}))


def test_survives_kill_fails_without_restart(run_check, sh):
    sh("sed -i '/^Restart=/d' /etc/systemd/system/hello-app.service && systemctl daemon-reload && "
       "systemctl restart hello-app && sleep 1")
    try:
        no(run_check({"type": "linux.survives_kill", "port": 8000, "within": 4, "unit": "hello-app"}),
           "nothing listened on port 8000 again within 4s")
    finally:
        sh("sed -i 's/^ExecStart=.*/&\\nRestart=on-failure/' /etc/systemd/system/hello-app.service && "
           "systemctl daemon-reload && systemctl restart hello-app && sleep 1")
    ok(run_check({"type": "linux.port_listening", "port": 8000, "user": "hello"}))


# ---- website.logged --------------------------------------------------------------------------------

def test_logged_passes_for_the_apps_unit_and_fails_for_another(run_check):
    ok(run_check({"type": "website.logged", "unit": "hello-app", "scheme": "https"}))
    no(run_check({"type": "website.logged", "unit": "nginx", "scheme": "https"}), "is not in `journalctl -u nginx`")
