"""A world where every text a person or an author can write carries a script.

Shared by the escaping tests (test client) and the browser tests (real Chromium): the same
payload sits in the course's titles and options, a learner's name, a branch name, a
reflection, the support contacts, an invitation's name, and it is echoed back from search
boxes, filters and `next`.
"""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ruamel.yaml import YAML
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.courses.models import Course
from lms.courses.services import checked_or_raise, publish_course
from lms.learning import services as learning
from lms.orgs import services as orgs_services
from lms.reports import invitations
from tests.factories import BranchFactory, OrganisationFactory, RoleGrantFactory, UserFactory
from tests.security.conftest import COMPLETE_COURSE, complete_course

# Each part runs in its own way if it ever reaches the page unescaped: a script element, an
# event handler on an element, and the same after breaking out of an attribute value.
PAYLOAD = (
    '"\'><script>window.__xss=1</script><img src=x onerror="alert(\'xss\')"><svg onload="window.__xss=3">'
)
# What must never appear in a page: the payload's tags as tags.
RAW_MARKERS = ("<script>window.__xss", "<img src=x onerror", "<svg onload")
ESCAPED = "&lt;script&gt;window.__xss=1&lt;/script&gt;"
# Plain-text fields of the course format (Markdown fields refuse raw HTML: tested apart).
PLAIN_TEXT_KEYS = frozenset(
    {"title", "summary", "audience", "prompt", "hint", "question", "text", "feedback", "caption", "alt"}
)
PLAIN_TEXT_LISTS = frozenset({"objectives", "points"})


def _poison(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in PLAIN_TEXT_KEYS and isinstance(value, str):
                node[key] = f"{value} {PAYLOAD}"
            elif key in PLAIN_TEXT_LISTS and isinstance(value, list):
                node[key] = [f"{item} {PAYLOAD}" for item in value]
            else:
                _poison(value)
    elif isinstance(node, list):
        for item in node:
            _poison(item)


def hostile_course(target: Path) -> Path:
    """A copy of the complete example course with the payload added to every plain-text field."""
    folder = target / "complete-course"
    shutil.copytree(COMPLETE_COURSE, folder)
    yaml = YAML()
    for path in folder.rglob("*.yaml"):
        if path.name.count(".") > 1:
            path.unlink()  # translations would only be stale now
            continue
        document = yaml.load(path.read_text(encoding="utf-8"))
        _poison(document)
        if path.name == "course.yaml":
            document["duration_exception"] = {"reason": "The payload adds words to every field."}
        with path.open("w", encoding="utf-8") as stream:
            yaml.dump(document, stream)
    return folder


def invitation_csv(name: str, email: str) -> bytes:
    """An invitation upload of one person."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(invitations.COLUMNS)
    writer.writerow([name, email, "", "volunteer", "en"])
    return buffer.getvalue().encode()


@dataclass(frozen=True)
class HostileWorld:
    org_a: str
    slug: str
    version: int
    lessons: list[str]
    certificate: str
    invitation_token: str
    logins: dict[str, str]
    emails: dict[str, str]


def build_hostile_world(session: Session, course_folder: Path) -> HostileWorld:
    """Society A with a hostile branch, support contacts, learner, reflection, invitation and course."""
    org_a = OrganisationFactory(code="AAA", name_en="Society A", support_contacts=PAYLOAD)
    branch = BranchFactory(organisation=org_a, name=f"Branch {PAYLOAD}")
    users = {
        "learner": UserFactory(name=PAYLOAD, email="learner@example.org", organisation=org_a, branch=branch),
        "focal_a": UserFactory(name=f"Focal {PAYLOAD}", email="focal-a@example.org", organisation=org_a),
        "admin": UserFactory(email="admin@example.org", organisation=org_a),
    }
    RoleGrantFactory(user=users["focal_a"], role="focal_point", organisation=org_a)
    RoleGrantFactory(user=users["admin"], role="admin")
    orgs_services.set_default_support_contacts(session, users["admin"], PAYLOAD)
    [check] = checked_or_raise([str(course_folder)])
    result = publish_course(session, check)
    course = session.scalars(select(Course).where(Course.slug == result.course_id)).one()
    completion = complete_course(session, users["learner"], course)
    enrolment = learning.current_enrolment(session, users["learner"].id, course.id)
    content = completion.course_version.content
    lessons = learning.lessons_in_order(content["localized"]["en"])
    for lesson in lessons:
        for block in lesson["blocks"]:
            if block["type"] == "reflection":
                learning.save_reflection(session, enrolment, lesson["id"], block["id"], PAYLOAD)
            elif block["type"] == "scenario":
                learning.submit_scenario_choice(
                    session,
                    users["learner"],
                    enrolment,
                    lesson["id"],
                    block["id"],
                    block["options"][0]["id"],
                    f"hostile-{block['id']}"[:64].ljust(16, "x"),
                )
    invitees = invitations.read_invitation_file(
        session, org_a, invitation_csv(PAYLOAD, "invitee@example.org")
    )
    [(_invitation, token)] = invitations.create_invitations(session, users["focal_a"], org_a, invitees, 3600)
    session.flush()
    return HostileWorld(
        org_a=org_a.code,
        slug=course.slug,
        version=result.version_number,
        lessons=[lesson["id"] for lesson in lessons],
        certificate=completion.certificate_code,
        invitation_token=token,
        logins={role: user.get_id() for role, user in users.items()},
        emails={role: user.email for role, user in users.items()},
    )


def url_of(path: str) -> str:
    """`path` with each PAYLOAD placeholder replaced by the payload, as a browser sends it."""
    return path.replace("PAYLOAD", quote(PAYLOAD, safe=""))


def pages(world: HostileWorld) -> list[tuple[str, str, bool]]:
    """(role, path, shows the payload) for every page where the world's texts or a parameter appear."""
    lesson_pages = [("learner", f"/learn/{world.slug}/{lesson}", True) for lesson in world.lessons]
    preview_pages = [
        ("admin", f"/authoring/{world.slug}/v{world.version}/en/{lesson}", True) for lesson in world.lessons
    ]
    return [
        ("anonymous", "/courses", True),
        ("anonymous", f"/courses/{world.slug}", True),
        ("anonymous", "/support", True),
        ("anonymous", f"/support?course={world.slug}", True),
        ("anonymous", f"/verify/{world.certificate}", True),
        ("anonymous", "/register", True),
        ("anonymous", f"/register?invite={world.invitation_token}", True),
        ("anonymous", "/login?next=PAYLOAD", False),
        ("anonymous", "/courses?tag=PAYLOAD&language=PAYLOAD&length=PAYLOAD", True),
        ("anonymous", f"/courses/{world.slug}?lang=PAYLOAD", True),
        ("learner", "/", False),
        ("learner", "/account", True),
        ("learner", "/account/data", False),
        ("learner", "/me", True),
        ("learner", "/support", True),
        ("learner", f"/courses/{world.slug}", True),
        *lesson_pages,
        ("focal_a", f"/orgs/{world.org_a}", True),
        ("focal_a", f"/reports/org/{world.org_a}", True),
        ("focal_a", f"/reports/org/{world.org_a}?date_from=PAYLOAD&branch=PAYLOAD&course=PAYLOAD", True),
        ("focal_a", f"/reports/org/{world.org_a}/people", True),
        ("focal_a", f"/reports/org/{world.org_a}/people?q=PAYLOAD", True),
        ("focal_a", f"/reports/org/{world.org_a}/invitations", True),
        ("admin", "/orgs?q=PAYLOAD&region=PAYLOAD&status=PAYLOAD", True),
        ("admin", "/orgs/settings", True),
        ("admin", "/reports?sort=PAYLOAD&order=PAYLOAD&region=PAYLOAD", True),
        ("admin", "/authoring", True),
        *preview_pages,
    ]
