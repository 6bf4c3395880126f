"""`python manage.py sandbox`: serve the Membrane sandbox until interrupted."""

import signal

from django.core.management.base import BaseCommand, CommandError

from psaportal.sandbox.server import (
    DEFAULT_TOKEN,
    DEFAULT_WORKSPACE_KEY,
    DEFAULT_WORKSPACE_SECRET,
    SandboxApp,
    SandboxServer,
    config_from_options,
)

SCALE_OPTIONS = (
    "companies", "contacts", "members", "tickets", "projects", "opportunities",
    "time_entries", "products", "expense_entries", "configurations",
)  # fmt: skip


class Command(BaseCommand):
    help = "Serve a Membrane-compatible API backed by a ConnectWise PSA simulator."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--token", default=DEFAULT_TOKEN, help="accepted bearer token")
        parser.add_argument("--workspace-key", default=DEFAULT_WORKSPACE_KEY)
        parser.add_argument("--workspace-secret", default=DEFAULT_WORKSPACE_SECRET)
        parser.add_argument("--build-seconds", type=float, default=1.5,
                            help="how long a new connection stays BUILDING")  # fmt: skip
        parser.add_argument(
            "--provide-input",
            action="store_true",
            help="ask for the PSA site and company id before authorizing",
        )
        parser.add_argument(
            "--auto-authorize",
            action="store_true",
            help="connections become READY without the consent page",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--db-path", default=None, help="keep PSA data in this SQLite file")
        parser.add_argument("--verbose", action="store_true", help="log every request")
        scale = parser.add_argument_group("PSA data (records of each kind)")
        for name in SCALE_OPTIONS:
            scale.add_argument(f"--{name.replace('_', '-')}", type=int, default=None)
        faults = parser.add_argument_group(
            "faults (0 = off; change at runtime: POST /_sandbox/faults)"
        )
        faults.add_argument("--latency-ms", type=int, default=0)
        faults.add_argument("--rate-limit-every", type=int, default=0, help="429 every Nth call")
        faults.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds")
        faults.add_argument("--error-every", type=int, default=0, help="5xx every Nth call")
        faults.add_argument("--error-status", type=int, default=503)
        faults.add_argument(
            "--timeout-every",
            type=int,
            default=0,
            help="no answer for --timeout-seconds every Nth call",
        )
        faults.add_argument("--timeout-seconds", type=float, default=5.0)
        faults.add_argument(
            "--drop-every",
            type=int,
            default=0,
            help="close the connection without an answer every Nth call",
        )
        faults.add_argument(
            "--malformed-json-every",
            type=int,
            default=0,
            help="a 200 with a cut-short JSON body every Nth call",
        )
        faults.add_argument(
            "--psa-rate-limit",
            type=int,
            default=0,
            help="PSA requests allowed per minute (then 429)",
        )
        faults.add_argument("--fault-scope", choices=("all", "psa"), default="all",
                            help="apply faults to every API call or only PSA calls")  # fmt: skip

    def handle(self, *args, **options):
        from psaportal.sandbox.psa import SeedScale

        given = {name: options[name] for name in SCALE_OPTIONS if options[name] is not None}
        try:
            config = config_from_options(
                token=options["token"],
                workspace_key=options["workspace_key"],
                workspace_secret=options["workspace_secret"],
                build_seconds=options["build_seconds"],
                connect_flow="provide-input" if options["provide_input"] else "connect",
                auto_authorize=options["auto_authorize"],
                scale=SeedScale(**given),
                seed=options["seed"],
                db_path=options["db_path"],
                verbose=options["verbose"],
                latency_ms=options["latency_ms"],
                rate_limit_every=options["rate_limit_every"],
                retry_after=options["retry_after"],
                error_every=options["error_every"],
                error_status=options["error_status"],
                timeout_every=options["timeout_every"],
                timeout_seconds=options["timeout_seconds"],
                drop_every=options["drop_every"],
                malformed_json_every=options["malformed_json_every"],
                psa_rate_limit_per_minute=options["psa_rate_limit"],
                scope=options["fault_scope"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        app = SandboxApp(config)
        server = None
        try:
            # SIGTERM (`kill`, Popen.terminate) stops it like Ctrl+C does, and from here on,
            # wherever it lands (seeding, start-up, serving), the `finally` removes the
            # temporary PSA data (gigabytes at benchmark scale). SIGINT is set too: a process
            # started in the background by a script inherits it ignored.
            signal.signal(signal.SIGTERM, _interrupt)
            signal.signal(signal.SIGINT, _interrupt)
            self.stdout.write("Seeding the PSA simulator…")
            psa = app.load_psa()
            try:
                server = SandboxServer(app, options["host"], options["port"])
            except OSError as exc:
                raise CommandError(
                    f"Cannot listen on {options['host']}:{options['port']}: {exc}"
                ) from exc
            self.stdout.write(f"PSA data: {psa.db_path}")
            self.stdout.write(f"Membrane sandbox API: {server.url}")
            self.stdout.write(
                f"Bearer token: {config.token} (or a JWT signed with the workspace secret)"
            )
            self.stdout.write("Press Ctrl+C to stop.")
            server.serve_forever(poll_interval=0.5)
        except KeyboardInterrupt:
            self.stdout.write("Stopping.")
        finally:
            app.close()
            if server is not None:
                server.server_close()


def _interrupt(signum, frame):
    # The first signal stops it; a second must not cut the clean-up short.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt
