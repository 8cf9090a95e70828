"""Mixed journeys against the site for `make loadtest` (scripts/loadtest.py
writes the plan this reads: addresses from the seeded database and sessions
of members already signed in).

- Readers browse the home page, categories and articles, and search.
- Students watch lessons (the player posts its progress) and send the
  course evaluation.
- Supporters read locked posts and locked articles.

Members arrive signed in: hundreds of sign-ins a minute from one address
would (rightly) meet the sign-in rate limit. Cookies are sent by hand: the
site's cookies are Secure, and the load goes over plain HTTP on loopback.
"""

import json
import os
import random
import secrets

from locust import HttpUser, between, task
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

with open(os.environ["LOADTEST_PLAN"]) as plan_file:
    PLAN = json.load(plan_file)


class Visitor(HttpUser):
    abstract = True
    wait_time = between(1, 5)  # reading time between pages

    def on_start(self):
        self.csrf = secrets.token_hex(16)  # any 32 characters make a valid CSRF secret
        self.session = self.take_session()
        cookies = [f"csrftoken={self.csrf}"] + ([f"sessionid={self.session}"] if self.session else [])
        self.client.headers["Cookie"] = "; ".join(cookies)
        # As a browser does: a GET sent on a kept-alive connection that the
        # server closed at that moment (an idle timeout, a worker recycled)
        # is sent once more. POSTs are never repeated.
        retry_once = Retry(total=1, connect=1, read=1, status=0, other=0, allowed_methods={"GET"})
        self.client.mount("http://", HTTPAdapter(max_retries=retry_once))

    def take_session(self):
        return None

    def page(self, url, name):
        with self.client.get(url, name=name, catch_response=True, allow_redirects=False) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} {response.error or ''}".strip())

    def post(self, url, name, **kwargs):
        headers = {"X-CSRFToken": self.csrf, "Referer": self.host + url}
        with self.client.post(
            url, name=name, headers=headers, catch_response=True, allow_redirects=False, **kwargs
        ) as response:
            if response.status_code not in (200, 302):
                response.failure(f"{response.status_code} {response.error or ''}".strip())


class Reader(Visitor):
    weight = 6

    @task(2)
    def home(self):
        self.page("/", "home")

    @task(3)
    def category(self):
        self.page(random.choice(PLAN["categories"]), "category")

    @task(6)
    def article(self):
        self.page(random.choice(PLAN["articles"]), "article")

    @task(2)
    def search(self):
        self.page(f"/search/?q={random.choice(PLAN['search_words'])}", "search")


class Student(Visitor):
    weight = 3

    def take_session(self):
        return random.choice(PLAN["students"])

    @task(1)
    def course(self):
        self.page(PLAN["course"], "course page")

    @task(4)
    def watch(self):
        lesson = random.choice(PLAN["lessons"])
        self.page(lesson, "lesson page")
        start = random.randrange(0, 60)
        report = {"ranges": [[start, start + 10]], "position": start + 10, "duration": 120}
        self.post(f"{lesson}progress/", "lesson progress", json=report)

    @task(1)
    def evaluate(self):
        evaluation = PLAN["evaluation"]
        self.page(evaluation["url"], "evaluation page")
        self.post(evaluation["url"], "evaluation sent", data={"csrfmiddlewaretoken": self.csrf, **evaluation["form"]})

    @task(1)
    def account(self):
        self.page("/account/", "account page")


class Supporter(Visitor):
    weight = 1

    def take_session(self):
        return random.choice(PLAN["supporters"])

    @task(2)
    def locked_post(self):
        self.page(random.choice(PLAN["locked_posts"]), "locked post")

    @task(3)
    def locked_article(self):
        self.page(random.choice(PLAN["locked_articles"]), "locked article (supporter)")

    @task(1)
    def posts(self):
        self.page("/posts/", "post list")
