"""A simulated volunteer driving the real pages over HTTP, and the check of what it left in the database.

The learner reads every form from the page as a browser would (CSRF token and submission id
included), registers, starts a course, opens every lesson, answers every knowledge check and
scenario right, writes each reflection, and completes. The right answers come from the
published `CourseVersion.content` in the database, never from the page.

Shared by bench/load.py and tests/serving/.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.auth.models import User
from lms.courses.models import Course, CourseVersion
from lms.learning.models import Answer, Completion, Enrolment, Reflection
from lms.learning.services import SCENARIO_QUESTION_ID, answer_key

PASSWORD = "a long volunteer passphrase"
# Statuses a retrying learner waits out: the database is away (503) or a proxy has no worker (502).
RETRIED_STATUSES = frozenset({502, 503})

# --- reading forms -------------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    # (name, type, value, checked) of every <input>, in page order.
    inputs: list[tuple[str, str, str, bool]] = field(default_factory=list)
    selects: dict[str, list[str]] = field(default_factory=dict)
    textareas: dict[str, str] = field(default_factory=dict)

    def hidden(self) -> dict[str, str]:
        return {name: value for name, kind, value, _checked in self.inputs if kind == "hidden"}

    def options(self, name: str) -> list[str]:
        """The values one may choose for `name`: its <select> options or its radio buttons."""
        if name in self.selects:
            return self.selects[name]
        return [value for input_name, _kind, value, _checked in self.inputs if input_name == name]


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(values.get("action", ""), values.get("method", "get").lower()))
            return
        if not self.forms:
            return
        form = self.forms[-1]
        if tag == "option" and self._select is not None:
            form.selects[self._select].append(values.get("value", ""))
        elif "name" not in values:
            return
        elif tag == "input":
            form.inputs.append(
                (values["name"], values.get("type", "text"), values.get("value", ""), "checked" in values)
            )
        elif tag == "select":
            self._select = values["name"]
            form.selects[self._select] = []
        elif tag == "textarea":
            self._textarea = values["name"]
            form.textareas[self._textarea] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.forms[-1].textareas[self._textarea] += data


def forms_on(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def form_posting_to(html: str, action_end: str) -> Form:
    """The form on the page whose action ends with `action_end`."""
    for form in forms_on(html):
        if form.action.split("#")[0].endswith(action_end):
            return form
    raise JourneyFailed(f"no form posting to …{action_end} on the page")


# --- the answers, from the published content --------------------------------------------------


@dataclass(frozen=True)
class Block:
    kind: str  # knowledge_check, scenario or reflection
    id: str
    # knowledge_check: the right option ids of each question, in order; scenario: the best option.
    answers: tuple[tuple[str, ...], ...] = ()
    question_ids: tuple[str, ...] = ()
    # knowledge_check: a wrong choice for each question, in order.
    wrong_answers: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class CourseKey:
    slug: str
    version_id: int
    pass_mark: int
    lessons: tuple[tuple[str, tuple[Block, ...]], ...]

    def steps(self) -> list[tuple[str, Block | None]]:
        """(lesson id, None) to open a lesson, then (lesson id, block) for each block to answer."""
        steps: list[tuple[str, Block | None]] = []
        for lesson_id, blocks in self.lessons:
            steps.append((lesson_id, None))
            steps.extend((lesson_id, block) for block in blocks)
        return steps


def _wrong_choice(question: dict[str, Any]) -> tuple[str, ...]:
    right = [o["id"] for o in question["options"] if o["correct"]]
    wrong = [o["id"] for o in question["options"] if not o["correct"]]
    # With no wrong option, only part of the right ones is wrong (a multiple-answer question).
    return (wrong[0],) if wrong else tuple(right[:1])


def _block(block: dict[str, Any]) -> Block | None:
    if block["type"] == "knowledge_check":
        return Block(
            "knowledge_check",
            block["id"],
            tuple(tuple(o["id"] for o in q["options"] if o["correct"]) for q in block["questions"]),
            tuple(q["id"] for q in block["questions"]),
            tuple(_wrong_choice(q) for q in block["questions"]),
        )
    if block["type"] == "scenario":
        best = next(o["id"] for o in block["options"] if o["best"])
        return Block("scenario", block["id"], ((best,),), (SCENARIO_QUESTION_ID,))
    if block["type"] == "reflection":
        return Block("reflection", block["id"])
    return None


def course_keys(session: Session) -> dict[str, CourseKey]:
    """Every course's newest version, with the right answer to each of its blocks."""
    keys = {}
    for course in session.scalars(select(Course).order_by(Course.slug)):
        version = session.scalars(
            select(CourseVersion)
            .where(CourseVersion.course_id == course.id)
            .order_by(CourseVersion.number.desc())
            .limit(1)
        ).one()
        content = version.content
        text = content["localized"][content["source_language"]]
        lessons = tuple(
            (lesson["id"], tuple(b for b in map(_block, lesson["blocks"]) if b is not None))
            for module in text["modules"]
            for lesson in module["lessons"]
        )
        keys[course.slug] = CourseKey(course.slug, version.id, content["completion"]["pass_mark"], lessons)
    return keys


# --- figures -------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(fraction * len(sorted_values) + 0.5))
    return sorted_values[min(rank, len(sorted_values)) - 1]


class Stats:
    """Durations and statuses of every request, by kind of request."""

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter[int] = Counter()
        self.transport_errors: Counter[str] = Counter()

    def record(self, kind: str, status: int, seconds: float) -> None:
        self.seconds[kind].append(seconds)
        self.statuses[status] += 1

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    def table(self, elapsed: float) -> str:
        lines = [
            f"{'request':<14}{'count':>7}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        ]
        everything: list[float] = []
        for kind in sorted(self.seconds, key=lambda k: -len(self.seconds[k])):
            values = sorted(self.seconds[kind])
            everything.extend(values)
            lines.append(self._row(kind, values, elapsed))
        lines.append(self._row("all", sorted(everything), elapsed))
        return "\n".join(lines)

    @staticmethod
    def _row(kind: str, values: list[float], elapsed: float) -> str:
        ms = [percentile(values, p) * 1000 for p in (0.5, 0.95, 0.99, 1.0)]
        rate = len(values) / elapsed if elapsed else 0.0
        return f"{kind:<14}{len(values):>7}{rate:>8.1f}" + "".join(f"{value:>9.0f}" for value in ms)


# --- the learner ---------------------------------------------------------------------------------


class JourneyFailed(Exception):
    """A page answered something a learner cannot get past."""


@dataclass
class Submission:
    block_id: str
    submission_id: str
    question_ids: tuple[str, ...]


class Learner:
    """One volunteer with their own cookies, taking the course of `key`.

    With `retry_until` (a time.monotonic() deadline) the learner behaves like a person when the
    service is briefly away: on a 502/503 or a broken connection they wait and send the same
    request again (the same form, so the same submission id), until the deadline.
    """

    def __init__(
        self,
        base_url: str,
        stats: Stats,
        key: CourseKey,
        email: str,
        retry_until: float | None = None,
        timeout: float = 60,
    ) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout, follow_redirects=False)
        self.stats = stats
        self.key = key
        self.email = email
        self.name = email.split("@", 1)[0].replace("-", " ").title()
        self.retry_until = retry_until
        self.submissions: list[Submission] = []
        self.reflections: dict[str, str] = {}
        self.page = ""
        self.page_lesson: str | None = None
        self.certificate_code: str | None = None

    async def close(self) -> None:
        await self.client.aclose()

    def _may_retry(self) -> bool:
        return self.retry_until is not None and time.monotonic() < self.retry_until

    async def request(
        self, kind: str, method: str, url: str, data: Any = None, expect: tuple[int, ...] = (200,)
    ) -> httpx.Response:
        while True:
            started = time.perf_counter()
            try:
                response = await self.client.request(method, url, data=data)
            except httpx.TransportError as error:
                self.stats.transport_errors[kind] += 1
                if self._may_retry():
                    await asyncio.sleep(0.2)
                    continue
                raise JourneyFailed(f"{method} {url}: {error!r}") from error
            self.stats.record(kind, response.status_code, time.perf_counter() - started)
            if response.status_code in RETRIED_STATUSES and self._may_retry():
                await asyncio.sleep(0.2)
                continue
            if response.status_code not in expect:
                raise JourneyFailed(f"{method} {url}: {response.status_code} {response.text[:300]!r}")
            return response

    async def _post_and_follow(self, kind: str, url: str, data: Any, next_kind: str) -> httpx.Response:
        response = await self.request(kind, "POST", url, data=data, expect=(302, 303))
        return await self.request(next_kind, "GET", response.headers["location"])

    async def register(self) -> None:
        """Fill in the registration form: an organisation from the list, a volunteer, in English."""
        page = await self.request("register page", "GET", "/register")
        form = form_posting_to(page.text, "/register")
        organisations = [value for value in form.options("organisation") if value]
        data = {
            **form.hidden(),
            "name": self.name,
            "email": self.email,
            "password": PASSWORD,
            "confirm": PASSWORD,
            "organisation": random.Random(self.email).choice(organisations),
            "branch": "",
            "person_kind": "volunteer",
            "locale": "en",
            "consent": "y",
        }
        await self._post_and_follow("register", "/register", data, "home")

    async def start(self) -> None:
        """Open the catalogue and the course page, and press Start."""
        await self.request("catalogue", "GET", "/courses")
        page = await self.request("course page", "GET", f"/courses/{self.key.slug}")
        start = f"/courses/{self.key.slug}/start"
        data = {**form_posting_to(page.text, start).hidden(), "language": "en"}
        response = await self._post_and_follow("start", start, data, "lesson")
        self.page, self.page_lesson = response.text, response.url.path.rsplit("/", 1)[1]

    async def open_lesson(self, lesson_id: str) -> None:
        response = await self.request("lesson", "GET", f"/learn/{self.key.slug}/{lesson_id}")
        self.page, self.page_lesson = response.text, lesson_id
        self._note_certificate()

    def prepare_answer(self, lesson_id: str, block: Block, right: bool = True) -> tuple[str, dict[str, Any]]:
        """The URL and form data that answer `block` (right, or wrong), read from the lesson page shown.

        What is sent is remembered for `check_records`, whether or not it arrives.
        """
        if self.page_lesson != lesson_id:
            raise JourneyFailed(f"lesson {lesson_id} is not the page shown")
        url = f"/learn/{self.key.slug}/{lesson_id}/{ACTION_PATHS[block.kind]}/{block.id}"
        data: dict[str, Any] = form_posting_to(self.page, url).hidden()
        if block.kind == "knowledge_check":
            for index, choice in enumerate(block.answers if right else block.wrong_answers):
                data[f"{block.id}-q{index}"] = list(choice)
        elif block.kind == "scenario":
            data[f"{block.id}-choice"] = block.answers[0][0]
        else:
            data[f"{block.id}-text"] = f"What I take from this: {self.email} on {block.id}."
            self.reflections[block.id] = data[f"{block.id}-text"]
            return url, data
        self.submissions.append(Submission(block.id, data[f"{block.id}-submission_id"], block.question_ids))
        return url, data

    async def send_answer(self, block: Block, url: str, data: dict[str, Any]) -> None:
        response = await self._post_and_follow(REQUEST_KINDS[block.kind], url, data, "lesson")
        self.page = response.text
        self._note_certificate()

    def _note_certificate(self) -> None:
        marker = 'href="/certificates/'
        if marker in self.page:
            self.certificate_code = self.page.split(marker, 1)[1].split(".pdf", 1)[0]

    async def take_steps(
        self, steps: list[tuple[str, Block | None]], wrong: frozenset[str] = frozenset()
    ) -> None:
        """Open lessons and answer blocks in order; the blocks named in `wrong` are answered wrong."""
        for lesson_id, block in steps:
            if block is None:
                if self.page_lesson != lesson_id:
                    await self.open_lesson(lesson_id)
                continue
            url, data = self.prepare_answer(lesson_id, block, right=block.id not in wrong)
            await self.send_answer(block, url, data)

    async def finish(self) -> None:
        """After completing: My learning, then the certificate PDF."""
        if self.certificate_code is None:
            raise JourneyFailed("the last lesson page shows no certificate")
        page = await self.request("my learning", "GET", "/me")
        if self.certificate_code not in page.text:
            raise JourneyFailed("My learning does not list the certificate")
        pdf = await self.request("certificate", "GET", f"/certificates/{self.certificate_code}.pdf")
        if not pdf.content.startswith(b"%PDF"):
            raise JourneyFailed("the certificate is not a PDF")

    async def whole_journey(self) -> None:
        await self.register()
        await self.start()
        await self.take_steps(self.key.steps())
        await self.finish()


ACTION_PATHS = {"knowledge_check": "check", "scenario": "scenario", "reflection": "reflection"}
REQUEST_KINDS = {"knowledge_check": "answer", "scenario": "scenario", "reflection": "reflection"}


# --- what the learners left in the database ------------------------------------------------------


def check_records(session: Session, learners: list[Learner]) -> list[str]:
    """Problems with the rows of `learners` (an empty list when all is right).

    Every learner who was shown a certificate has exactly one completion (that certificate, at
    or above the pass mark), nobody has two, each has one enrolment, every answer sent exists
    exactly once and no other answer exists, and the reflections hold what was sent.
    """
    problems = []
    for learner in learners:
        user = session.scalar(select(User).where(User.email == learner.email))
        if user is None:
            problems.append(f"{learner.email}: no account")
            continue
        version_id = learner.key.version_id
        completions = session.scalars(
            select(Completion).where(
                Completion.user_id == user.id, Completion.course_version_id == version_id
            )
        ).all()
        finished = learner.certificate_code is not None
        if len(completions) > 1 or (finished and len(completions) != 1):
            problems.append(f"{learner.email}: {len(completions)} completions")
        elif finished and completions[0].certificate_code != learner.certificate_code:
            problems.append(f"{learner.email}: the completion is not the certificate shown")
        elif finished and completions[0].score < learner.key.pass_mark:
            problems.append(f"{learner.email}: completed with a score of {completions[0].score}")
        enrolments = session.scalars(
            select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_version_id == version_id)
        ).all()
        if len(enrolments) != 1:
            problems.append(f"{learner.email}: {len(enrolments)} enrolments")
            continue
        enrolment = enrolments[0]
        if (enrolment.completed_at is not None) != bool(completions):
            problems.append(f"{learner.email}: the enrolment and the completion records disagree")
        problems.extend(_answer_problems(session, learner, enrolment.id))
        saved = dict(
            session.execute(
                select(Reflection.block_id, Reflection.text).where(Reflection.enrolment_id == enrolment.id)
            ).all()
        )
        if saved != learner.reflections:
            problems.append(f"{learner.email}: reflections differ from what was sent")
    return problems


def _answer_problems(session: Session, learner: Learner, enrolment_id: int) -> list[str]:
    expected = {
        answer_key(enrolment_id, submission.submission_id, question_id)
        for submission in learner.submissions
        for question_id in submission.question_ids
    }
    stored = Counter(session.scalars(select(Answer.submission_id).where(Answer.enrolment_id == enrolment_id)))
    problems = []
    if missing := expected - set(stored):
        problems.append(f"{learner.email}: {len(missing)} answers sent but not stored")
    if duplicated := [key for key, count in stored.items() if count > 1]:
        problems.append(f"{learner.email}: {len(duplicated)} answers stored twice")
    if extra := set(stored) - expected:
        problems.append(f"{learner.email}: {len(extra)} answers stored that were never sent")
    return problems
