"""The load run's users (locust): technicians, managers and admins, logged in, browsing lists
with filters, searching, opening records and reports, and editing tickets in their rows.

Bounded: loopback hosts only, each user stops after ``LOAD_MAX_REQUESTS_PER_USER``
requests, and the run's users and time are given on locust's command line. Every user sends
a request every ``1 / LOAD_REQUESTS_PER_USER_PER_S`` seconds at most (a busy person's
pace), so the offered load is fixed and the figures measure how the site keeps up.
The plan (sessions, records, filter values) is the JSON file named by ``LOAD_PLAN``.
Requests are named "<role>: <page>"; anything but a 200 counts as an error (a redirect to
the login page too)."""

import itertools
import json
import os
import random
import uuid
from urllib.parse import urlencode, urlsplit

from locust import FastHttpUser, constant_throughput, task
from locust.exception import StopUser

PLAN = json.loads(open(os.environ["LOAD_PLAN"]).read())  # noqa: SIM115 - read once
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS_PER_USER", "1000"))
PACE = float(os.environ.get("LOAD_REQUESTS_PER_USER_PER_S", "2.5"))
_next_session = {role: itertools.count() for role in PLAN["sessions"]}


class PortalUser(FastHttpUser):
    abstract = True
    role = ""
    home_path = "/"
    wait_time = constant_throughput(PACE)

    def on_start(self):
        if urlsplit(self.host).hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"the load run only goes to this machine, not {self.host}")
        pool = PLAN["sessions"][self.role]
        session = pool[next(_next_session[self.role]) % len(pool)]
        token = PLAN["csrf_token"]
        self.sent = 0
        # As the TLS proxy would pass it on; the cookies by hand, as they are Secure ones.
        self.headers = {
            "Cookie": f"sessionid={session}; csrftoken={token}",
            "X-CSRFToken": token,
            "X-Forwarded-Proto": "https",
            "Referer": f"https://{urlsplit(self.host).netloc}/",
        }

    def _get(self, page: str, path: str, query: dict | None = None, **headers):
        self._request("GET", page, path + (f"?{urlencode(query)}" if query else ""), headers)

    def _request(self, method: str, page: str, path: str, headers: dict, data=None):
        self.sent += 1
        if self.sent > MAX_REQUESTS:
            raise StopUser()
        with self.client.request(
            method,
            path,
            name=f"{self.role}: {page}",
            headers=self.headers | headers,
            data=data,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} for {path}")

    # -- what every role does -----------------------------------------------------------

    @task(4)
    def ticket_list_filtered(self):
        filters = {name: random.choice(values) for name, values in PLAN["filters"].items()
                   if values and random.random() < 0.5}  # fmt: skip
        self._get("ticket list", "/records/tickets/", {"open": "open", **filters})

    @task(2)
    def ticket_search(self):
        self._get("ticket search", "/records/tickets/", {"q": random.choice(PLAN["searches"])})

    @task(3)
    def ticket_detail(self):
        self._get("ticket", f"/records/tickets/{random.choice(PLAN['tickets'])}/")

    @task(1)
    def company_list_and_detail(self):
        if random.random() < 0.5:
            self._get("company list", "/records/companies/", {"sort": "name"})
        else:
            self._get("company", f"/records/companies/{random.choice(PLAN['companies'])}/")

    @task(1)
    def ticket_row_edit(self):
        edit = random.choice(PLAN["edits"])
        data = {
            **edit["fields"],
            "priority": random.choice(edit["priorities"]),
            "idempotency_key": uuid.uuid4().hex,
        }
        path = f"/records/tickets/{edit['psa_id']}/row/edit/"
        self._request("POST", "ticket row edit", path, {"HX-Request": "true"}, data=data)

    @task(1)
    def home(self):
        self._get("home", self.home_path)


class Technician(PortalUser):
    role = "technician"
    weight = 2


class Manager(PortalUser):
    role = "manager"
    weight = 1
    home_path = "/reports/"  # where "/" sends a manager

    @task(3)
    def report(self):
        self._get("report", f"/reports/{random.choice(PLAN['reports'])}/")

    @task(1)
    def report_dashboard(self):
        self._get("report dashboard", "/reports/")


class Admin(PortalUser):
    role = "admin"
    weight = 1

    @task(1)
    def jobs(self):
        self._get("jobs", "/jobs/")

    @task(1)
    def sync_status(self):
        self._get("sync status", "/records/sync/")

    @task(1)
    def report(self):
        self._get("report", f"/reports/{random.choice(PLAN['reports'])}/")
