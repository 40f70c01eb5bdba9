"""The production topology of deploy/, on loopback: nginx with TLS in front of two gunicorn "hosts".

nginx listens on 127.0.0.2 only (https, plus http for the redirect), with a server certificate
signed by a CA made for the run. Its site configuration is deploy/nginx.conf with the addresses,
ports and paths replaced; the replacements must each match, so an edit of the shipped file that
breaks them fails loudly instead of testing something else. The hosts run deploy/gunicorn.conf.py
on 127.0.0.1, each from its own working folder (its own survey data, log and control socket), in
production mode (DEBUG=0), against one database. nginx's connections to them leave from
127.0.0.1, the one trusted proxy address, so clients given other loopback addresses (all of
127.0.0.0/8 is local on Linux) are told apart from the proxy.

Used by tests/e2e/test_production_front.py and bench/front.py.
"""

from __future__ import annotations

import os
import random
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
FRONT_HOST = "127.0.0.2"  # where nginx listens
PROXY_SOURCE = "127.0.0.1"  # where nginx's connections to the hosts come from (loopback's own address)
HOST_ADDRESS = "127.0.0.1"  # where the hosts listen
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
SHIPPED_UPSTREAMS = 2  # app servers in deploy/nginx.conf's upstream block


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def loopback_addresses(count: int) -> list[str]:
    """Distinct loopback addresses for one run's clients (fresh ones, so rate limits start at zero)."""
    rng = random.Random()
    taken: set[str] = set()
    while len(taken) < count:
        taken.add(f"127.{rng.randint(100, 250)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}")
    return sorted(taken)


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, timeout=180, **kwargs)  # type: ignore[call-overload]
    if result.returncode:
        raise RuntimeError(f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}")
    return result


@dataclass
class Certs:
    ca: Path
    cert: Path
    key: Path

    def context(self) -> ssl.SSLContext:
        """A client context that trusts the run's CA only."""
        return ssl.create_default_context(cafile=str(self.ca))


def make_certs(folder: Path) -> Certs:
    """A CA and a server certificate for 127.0.0.2/127.0.0.1/localhost, with openssl."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (folder / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    ca_extensions = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
    _run(
        [
            *(OPENSSL, "req", "-x509", *ec, "-keyout", str(ca_key), "-out", str(ca), "-days", "2"),
            *("-subj", "/CN=Spark Portal test CA", *ca_extensions),
        ]
    )
    _run([OPENSSL, "req", "-new", *ec, "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={FRONT_HOST}"])
    extensions = folder / "server.ext"
    extensions.write_text(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        f"subjectAltName=IP:{FRONT_HOST},IP:127.0.0.1,DNS:localhost\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
    )
    _run(
        [
            *(OPENSSL, "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-days", "2"),
            *("-set_serial", str(secrets.randbits(64)), "-extfile", str(extensions), "-out", str(cert)),
        ]
    )
    return Certs(ca=ca, cert=cert, key=key)


def stop(proc: subprocess.Popen[bytes] | None, timeout: float = 35) -> None:
    """Stop a process this module started (gunicorn finishes its requests first)."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@dataclass
class Host:
    """One app server: gunicorn from deploy/gunicorn.conf.py, run from its own working folder."""

    name: str
    folder: Path
    port: int
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST_ADDRESS}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.folder / "gunicorn.log"

    def manage(self, *args: str) -> str:
        """`manage.py` with this host's settings, run in its working folder."""
        return str(_run([sys.executable, str(ROOT / "manage.py"), *args], cwd=self.folder, env=self.env).stdout)

    def served(self, method: str, path: str) -> int:
        """How many `method path` requests this host's access log shows."""
        return self.log_path.read_text().count(f'"{method} {path} ')

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    *(sys.executable, "-m", "gunicorn", "--config", str(DEPLOY / "gunicorn.conf.py")),
                    *("--pythonpath", str(ROOT)),
                ],
                cwd=self.folder,
                env={**self.env, "SPARK_BIND": f"{HOST_ADDRESS}:{self.port}", "RUNTIME_DIRECTORY": str(self.folder)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def requests(self) -> int:
        """How many requests this host's access log shows."""
        return self.log_path.read_text().count(" HTTP/1.")

    def direct(self, headers: dict[str, str] | None = None, **kwargs: object) -> httpx2.Client:
        """A client that talks to this host the way nginx does (public Host, https said by the proxy)."""
        headers = {"Host": FRONT_HOST, "X-Forwarded-Proto": "https", **(headers or {})}
        return httpx2.Client(base_url=self.url, headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]


def _replace(text: str, old: str, new: str, count: int = 1) -> str:
    found = text.count(old)
    if found != count:
        raise AssertionError(f"deploy/nginx.conf: expected {count}x {old!r}, found {found}; update tests/e2e/front.py")
    return text.replace(old, new)


def render_site(https_port: int, http_port: int, certs: Certs, upstreams: list[str], logs: Path) -> str:
    """deploy/nginx.conf with this run's addresses, ports, certificate and log paths, and `upstreams` (one or
    both of the shipped upstream lines' places) as the app servers."""
    site = (DEPLOY / "nginx.conf").read_text()
    site = _replace(site, "    listen 80;\n", f"    listen {FRONT_HOST}:{http_port};\n")
    site = _replace(site, "    listen [::]:80;\n", "")
    site = _replace(site, "    listen 443 ssl http2;\n", f"    listen {FRONT_HOST}:{https_port} ssl http2;\n")
    site = _replace(site, "    listen [::]:443 ssl http2;\n", "")
    site = _replace(site, "server_name spark.example.com;", f"server_name {FRONT_HOST};", count=2)
    site = _replace(site, "/etc/letsencrypt/live/spark.example.com/fullchain.pem", str(certs.cert))
    site = _replace(site, "/etc/letsencrypt/live/spark.example.com/privkey.pem", str(certs.key))
    site = _replace(site, "/var/log/nginx/spark-portal.access.log", str(logs / "access.log"), count=2)
    site = _replace(site, "/var/log/nginx/spark-portal.error.log", str(logs / "error.log"))
    servers = re.findall(r"\n    server 10\.0\.0\.1\d:8000 [^\n]*", site)
    if len(servers) != SHIPPED_UPSTREAMS:
        raise AssertionError(f"deploy/nginx.conf: expected {SHIPPED_UPSTREAMS} upstream servers, found {len(servers)}")
    if not 1 <= len(upstreams) <= len(servers):
        raise ValueError(f"between 1 and {len(servers)} upstreams, not {len(upstreams)}")
    for n, server in enumerate(servers):  # fewer upstreams than shipped: the surplus lines go
        line = server.replace(server.split()[1], upstreams[n], 1) if n < len(upstreams) else ""
        site = _replace(site, server, line)
    return site


# What Debian's /etc/nginx/nginx.conf gives a site file, plus paths inside the run's folder.
MAIN_CONF = """daemon off;
worker_processes {workers};
{user}
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
events {{ worker_connections 1024; }}
http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    default_type application/octet-stream;
    access_log {folder}/access.log;
    client_body_temp_path {folder}/tmp/body;
    proxy_temp_path {folder}/tmp/proxy;
    fastcgi_temp_path {folder}/tmp/fastcgi;
    uwsgi_temp_path {folder}/tmp/uwsgi;
    scgi_temp_path {folder}/tmp/scgi;
    include {folder}/site.conf;
}}
"""


@dataclass
class Nginx:
    folder: Path
    https_port: int = field(default_factory=lambda: free_port(FRONT_HOST))
    http_port: int = field(default_factory=lambda: free_port(FRONT_HOST))
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://{FRONT_HOST}:{self.https_port}"

    @property
    def http_url(self) -> str:
        return f"http://{FRONT_HOST}:{self.http_port}"

    def start(self, certs: Certs, upstreams: list[str], workers: str = "1") -> None:
        """nginx as a child process (`daemon off`), configured from deploy/nginx.conf."""
        folder = self.folder
        (folder / "tmp").mkdir(parents=True, exist_ok=True)
        (folder / "site.conf").write_text(render_site(self.https_port, self.http_port, certs, upstreams, folder))
        user = "user root root;" if os.geteuid() == 0 else ""  # workers as the run's user, not nobody
        conf = folder / "nginx.conf"
        conf.write_text(MAIN_CONF.format(workers=workers, user=user, folder=folder))
        command = [NGINX, "-p", f"{folder}/", "-c", str(conf), "-e", str(folder / "error.log")]
        _run([*command, "-t"])
        with (folder / "nginx.out").open("ab") as out:
            self.proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)


def wait_until_up(
    http: httpx2.Client, path: str, proc: subprocess.Popen[bytes] | None, log: Path, timeout: float = 30
) -> None:
    assert proc is not None
    deadline = time.monotonic() + timeout
    while True:
        try:
            if http.get(path, timeout=2).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{http.base_url}{path} did not come up:\n{log_tail(log)}")
        time.sleep(0.2)


def log_tail(path: Path, chars: int = 3000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else ""


def app_env(database_url: str, public_url: str, secret_key: str, workers: int) -> dict[str, str]:
    """Production settings for the hosts (docs/operations.md; deploy/spark-portal.env.example)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": FRONT_HOST,
        "SPARK_PUBLIC_URL": public_url,
        "SPARK_TRUSTED_PROXIES": PROXY_SOURCE,
        "TRUST_X_FORWARDED_PROTO": "1",
        "FORWARDED_ALLOW_IPS": PROXY_SOURCE,
        "WEB_CONCURRENCY": str(workers),
        "LOG_LEVEL": "WARNING",
    }
    if database_url.startswith(("postgres://", "postgresql://")):
        env["SPARK_ACCESS_EPOCH"] = "database"
        env["SPARK_ACCESS_EPOCH_LISTEN"] = "1"  # as in production (the tests' own default is off)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


@dataclass
class Front:
    nginx: Nginx
    hosts: list[Host]
    certs: Certs

    @property
    def url(self) -> str:
        return self.nginx.url

    def client(self, source: str | None = None, **kwargs: object) -> httpx2.Client:
        """An https client through nginx that trusts the run's CA, from loopback address `source`."""
        transport = httpx2.HTTPTransport(verify=self.certs.context(), local_address=source)
        return httpx2.Client(base_url=self.url, transport=transport, timeout=30, **kwargs)  # type: ignore[arg-type]

    def async_client(self, source: str | None = None, **kwargs: object) -> httpx2.AsyncClient:
        transport = httpx2.AsyncHTTPTransport(verify=self.certs.context(), local_address=source)
        return httpx2.AsyncClient(transport=transport, timeout=30, **kwargs)  # type: ignore[arg-type]


def _prepare(host: Host, demo_password: str, respondents: int) -> None:
    """migrate, seed_demo, collectstatic and build_insights, in one process (Django starts once)."""
    steps = [
        ("migrate", {"interactive": False, "verbosity": 0}),
        ("seed_demo", {"password": demo_password}),
        ("collectstatic", {"interactive": False, "verbosity": 0}),
        ("build_insights", {"respondents": respondents}),
    ]
    code = "from django.core.management import call_command\n" + "".join(
        f"call_command({name!r}, **{options!r})\n" for name, options in steps
    )
    host.manage("shell", "--no-imports", "-c", code)


@contextmanager
def topology(
    folder: Path,
    database_url: str,
    demo_password: str,
    *,
    workers: int = 2,
    nginx_workers: str = "1",
    respondents: int = 30_000,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Front]:
    """Certificates, two prepared hosts and nginx in front; everything started is stopped on exit."""
    certs = make_certs(folder / "tls")
    nginx = Nginx(folder=folder / "nginx")
    secret_key = secrets.token_urlsafe(64)  # the same on every host (it keys token digests)
    hosts = []
    for name in ("a", "b"):
        host_folder = folder / f"host-{name}"
        host_folder.mkdir(parents=True)
        env = {**app_env(database_url, nginx.url, secret_key, workers), **(extra_env or {})}
        env["SPARK_INSIGHTS_DIR"] = str(host_folder / "insights")
        # One shared data store for both (a folder here; S3 in tests/e2e/test_shared_store.py).
        env["SPARK_DATA_STORE"] = (folder / "data-store").as_uri()
        hosts.append(Host(name=name, folder=host_folder, port=free_port(HOST_ADDRESS), env=env))
    _prepare(hosts[0], demo_password, respondents)
    hosts[1].manage("pull_data")  # what host a built, host b pulls (docs/operations.md, The shared data store)
    with ExitStack() as stack:
        for host in hosts:
            host.start()
            stack.callback(stop, host.proc)
        nginx.start(certs, [f"{HOST_ADDRESS}:{h.port}" for h in hosts], nginx_workers)
        stack.callback(stop, nginx.proc, 10)
        for host in hosts:
            with host.direct() as http:
                wait_until_up(http, "/.well-known/oauth-protected-resource", host.proc, host.log_path)
        front = Front(nginx=nginx, hosts=hosts, certs=certs)
        with front.client() as http:
            wait_until_up(http, "/.well-known/oauth-protected-resource", nginx.proc, nginx.folder / "error.log")
        yield front
