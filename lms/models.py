"""Every model, imported in one place so Alembic and the tests see the whole schema."""

from lms.audit.models import AuditEvent
from lms.auth.models import Invitation, PasswordResetToken, RoleGrant, User
from lms.courses.models import Course, CourseMedia, CourseVersion, CourseVersionTag
from lms.db import Base
from lms.learning.models import Answer, Completion, Enrolment, LessonProgress, Reflection
from lms.orgs.models import Branch, Headcount, Organisation, SiteSetting

__all__ = [
    "Answer",
    "AuditEvent",
    "Base",
    "Branch",
    "Completion",
    "Course",
    "CourseMedia",
    "CourseVersion",
    "CourseVersionTag",
    "Enrolment",
    "Headcount",
    "Invitation",
    "LessonProgress",
    "Organisation",
    "PasswordResetToken",
    "Reflection",
    "RoleGrant",
    "SiteSetting",
    "User",
]
