"""Organisations of the Movement: loading the list, branches, headcounts and support contacts."""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta

from flask_babel import _
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.audit.services import record
from lms.auth.models import User
from lms.auth.permissions import can_manage_organisation
from lms.db import in_integer_range, utcnow
from lms.errors import LmsError, PermissionDenied
from lms.orgs.models import REGIONS, Branch, Headcount, Organisation, SiteSetting

CSV_COLUMNS = (
    "iso2",
    "iso3",
    "fdrs_code",
    "ifrc_region",
    "society_name_en",
    "society_name_fr",
    "society_name_es",
    "society_name_ar",
    "country_name_en",
    "country_name_fr",
    "country_name_es",
    "country_name_ar",
    "ifrc_directory_url",
)
NAME_MAX = 200
BRANCH_NAME_MAX = 200
DIRECTORY_URL_MAX = 300
FDRS_CODE_MAX = 16
SUPPORT_CONTACTS_MAX = 2000
DEFAULT_SUPPORT_CONTACTS_KEY = "support_contacts"
# Above any real Society and far below the 32-bit integer column's limit.
HEADCOUNT_MAX = 100_000_000
# Headcounts before this date are typing mistakes (e.g. 0224 for 2024), not history.
HEADCOUNT_EARLIEST = date(2000, 1, 1)
# "Not in the future" must hold for a focal point anywhere: the earliest zone is UTC+14.
_EARLIEST_ZONE_AHEAD = timedelta(hours=14)

_ISO3 = re.compile(r"[A-Z]{3}")
_ISO2 = re.compile(r"[A-Z]{2}")


class OrganisationFileError(LmsError):
    """The organisations file cannot be loaded; `line` is the 1-based line it fails on."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(_("Line %(line)d: %(problem)s", line=line, problem=problem))
        self.line = line
        self.problem = problem


class DuplicateOrganisationCode(LmsError):
    """Two organisations given to the sync share one code."""

    def __init__(self, code: str) -> None:
        super().__init__(_("The code %(code)s is listed twice.", code=code))
        self.code = code


class BranchNameError(LmsError):
    """A branch name is empty, too long, or already used in its organisation."""


class DuplicateBranchName(BranchNameError):
    def __init__(self, name: str) -> None:
        super().__init__(
            _(
                "A branch named “%(name)s” already exists in this organisation. Choose another name.",
                name=name,
            )
        )
        self.name = name


class HeadcountError(LmsError):
    """A declared headcount is impossible; `field` is staff, volunteers or as_of."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class SupportContactsTooLong(LmsError):
    def __init__(self) -> None:
        super().__init__(
            _("Support contacts must be at most %(max)d characters long.", max=SUPPORT_CONTACTS_MAX)
        )


@dataclass(frozen=True)
class OrganisationRow:
    """One organisation as the list describes it (every field the sync keeps up to date)."""

    code: str
    kind: str
    name_en: str
    name_fr: str
    name_es: str
    name_ar: str
    region: str | None = None
    iso2: str | None = None
    fdrs_code: str | None = None
    country_en: str | None = None
    country_fr: str | None = None
    country_es: str | None = None
    country_ar: str | None = None
    directory_url: str | None = None


SYNCED_FIELDS = tuple(f.name for f in fields(OrganisationRow))

# The two international bodies of the Movement: not in the directory of Societies, so listed here.
INTERNATIONAL_BODIES = (
    OrganisationRow(
        code="IFRC",
        kind="ifrc",
        name_en="International Federation of Red Cross and Red Crescent Societies",
        name_fr="Fédération internationale des Sociétés de la Croix-Rouge et du Croissant-Rouge",
        name_es="Federación Internacional de Sociedades de la Cruz Roja y de la Media Luna Roja",
        name_ar="الاتحاد الدولي لجمعيات الصليب الأحمر والهلال الأحمر",
    ),
    OrganisationRow(
        code="ICRC",
        kind="icrc",
        name_en="International Committee of the Red Cross",
        name_fr="Comité international de la Croix-Rouge",
        name_es="Comité Internacional de la Cruz Roja",
        name_ar="اللجنة الدولية للصليب الأحمر",
    ),
)


@dataclass(frozen=True)
class SyncResult:
    created: int
    updated: int
    unchanged: int
    # Codes in the database that the list no longer has: kept, for an administrator to review.
    not_in_list: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line for the command's output: "N created, N updated, N unchanged"."""
        return _(
            "%(created)d created, %(updated)d updated, %(unchanged)d unchanged",
            created=self.created,
            updated=self.updated,
            unchanged=self.unchanged,
        )


@dataclass(frozen=True)
class HeadcountEntry:
    headcount: Headcount
    declared_by_name: str | None


@dataclass(frozen=True)
class OrganisationSummary:
    organisation: Organisation
    people: int
    branches: int


@dataclass(frozen=True)
class OrganisationPage:
    items: list[OrganisationSummary]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


# --- The list of organisations -------------------------------------------------------------


def parse_national_societies_csv(text: str) -> list[OrganisationRow]:
    """Read the National Societies CSV (columns: CSV_COLUMNS) into rows, checking every line.

    Raises OrganisationFileError naming the first bad line: missing column, unknown region,
    empty or too long name, malformed code or URL, or a code listed twice.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    try:
        header = [cell.strip() for cell in next(reader)]
    except StopIteration:
        raise OrganisationFileError(1, _("the file is empty.")) from None
    except csv.Error as error:
        raise OrganisationFileError(reader.line_num, _("unreadable CSV (%(error)s).", error=error)) from None
    missing = [column for column in CSV_COLUMNS if column not in header]
    if missing:
        raise OrganisationFileError(1, _("missing column(s): %(columns)s.", columns=", ".join(missing)))
    repeated = sorted({column for column in header if column and header.count(column) > 1})
    if repeated:
        raise OrganisationFileError(1, _("repeated column(s): %(columns)s.", columns=", ".join(repeated)))
    position = {column: header.index(column) for column in CSV_COLUMNS}

    rows: list[OrganisationRow] = []
    first_line_of: dict[str, int] = {}
    next_line = reader.line_num + 1
    while True:
        line = next_line
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise OrganisationFileError(line, _("unreadable CSV (%(error)s).", error=error)) from None
        next_line = reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise OrganisationFileError(
                line,
                _("expected %(expected)d fields, found %(found)d.", expected=len(header), found=len(cells)),
            )
        row = _national_society_row({c: cells[i].strip() for c, i in position.items()}, line)
        if row.code in first_line_of:
            raise OrganisationFileError(
                line,
                _(
                    "the code %(code)s is already used on line %(other)d.",
                    code=row.code,
                    other=first_line_of[row.code],
                ),
            )
        first_line_of[row.code] = line
        rows.append(row)
    if not rows:
        raise OrganisationFileError(1, _("the file lists no National Society."))
    return rows


def _national_society_row(values: dict[str, str], line: int) -> OrganisationRow:
    if not _ISO3.fullmatch(values["iso3"]):
        raise OrganisationFileError(
            line, _("iso3 must be three capital letters, not “%(value)s”.", value=values["iso3"])
        )
    if not _ISO2.fullmatch(values["iso2"]):
        raise OrganisationFileError(
            line, _("iso2 must be two capital letters, not “%(value)s”.", value=values["iso2"])
        )
    if values["ifrc_region"] not in REGIONS:
        raise OrganisationFileError(
            line,
            _(
                "unknown region “%(region)s” (expected one of: %(regions)s).",
                region=values["ifrc_region"],
                regions=", ".join(REGIONS),
            ),
        )
    if len(values["fdrs_code"]) > FDRS_CODE_MAX:
        raise OrganisationFileError(
            line, _("fdrs_code is longer than %(max)d characters.", max=FDRS_CODE_MAX)
        )
    url = values["ifrc_directory_url"]
    if url and (not url.startswith("https://") or len(url) > DIRECTORY_URL_MAX or " " in url):
        raise OrganisationFileError(
            line,
            _(
                "ifrc_directory_url must be an https:// address of at most %(max)d characters.",
                max=DIRECTORY_URL_MAX,
            ),
        )
    for column in CSV_COLUMNS:
        if column.startswith(("society_name_", "country_name_")) and len(values[column]) > NAME_MAX:
            raise OrganisationFileError(
                line, _("%(column)s is longer than %(max)d characters.", column=column, max=NAME_MAX)
            )
        if column.startswith("society_name_") and not values[column]:
            raise OrganisationFileError(line, _("%(column)s is empty.", column=column))
    return OrganisationRow(
        code=values["iso3"],
        kind="national_society",
        region=values["ifrc_region"],
        iso2=values["iso2"],
        fdrs_code=values["fdrs_code"] or None,
        name_en=values["society_name_en"],
        name_fr=values["society_name_fr"],
        name_es=values["society_name_es"],
        name_ar=values["society_name_ar"],
        country_en=values["country_name_en"] or None,
        country_fr=values["country_name_fr"] or None,
        country_es=values["country_name_es"] or None,
        country_ar=values["country_name_ar"] or None,
        directory_url=url or None,
    )


def sync_organisations(
    session: Session, rows: Iterable[OrganisationRow], actor_id: int | None = None
) -> SyncResult:
    """Bring the organisations in line with `rows` plus the IFRC and the ICRC.

    Inserts missing organisations, updates changed names, region, codes and URLs, and leaves
    the rest alone: it never deletes one and never changes `active` (an administrator's call).
    Running it twice with the same rows changes nothing.
    """
    wanted = [*INTERNATIONAL_BODIES, *rows]
    seen: set[str] = set()
    for row in wanted:
        if row.code in seen:
            raise DuplicateOrganisationCode(row.code)
        seen.add(row.code)

    existing = {org.code: org for org in session.scalars(select(Organisation))}
    created: list[str] = []
    updated: dict[str, list[str]] = {}
    for row in wanted:
        organisation = existing.get(row.code)
        if organisation is None:
            session.add(Organisation(**asdict(row), active=True))
            created.append(row.code)
            continue
        changed = [name for name in SYNCED_FIELDS if getattr(organisation, name) != getattr(row, name)]
        for name in changed:
            setattr(organisation, name, getattr(row, name))
        if changed:
            updated[row.code] = changed
    session.flush()
    if created or updated:
        record(session, "orgs.sync", actor_id=actor_id, details={"created": created, "updated": updated})
    return SyncResult(
        created=len(created),
        updated=len(updated),
        unchanged=len(wanted) - len(created) - len(updated),
        not_in_list=tuple(sorted(set(existing) - seen)),
    )


def set_organisation_active(session: Session, actor: User, organisation: Organisation, active: bool) -> None:
    """Mark an organisation active or inactive (administrators only; audited as org.active)."""
    if not actor.is_admin:
        raise PermissionDenied()
    if organisation.active == active:
        return
    organisation.active = active
    session.flush()
    record(
        session,
        "org.active",
        actor_id=actor.id,
        organisation_id=organisation.id,
        target=organisation.code,
        details={"active": active},
    )


def get_organisation_by_code(session: Session, code: str) -> Organisation | None:
    """The organisation with this code (case-insensitive), or None."""
    return session.scalar(select(Organisation).where(Organisation.code == code.upper()))


def list_organisations(
    session: Session,
    *,
    visible_ids: set[int] | None,
    locale: str = "en",
    region: str | None = None,
    active: bool | None = None,
    search: str = "",
    page: int = 1,
    per_page: int = 50,
) -> OrganisationPage:
    """One page of organisations with their registered people and active branches, filtered.

    `visible_ids` None means every organisation (an administrator); `search` matches the code or
    a name or country in any of the four languages.
    """
    people = (
        select(User.organisation_id, func.count().label("n"))
        .where(User.deleted_at.is_(None))
        .group_by(User.organisation_id)
        .subquery()
    )
    branches = (
        select(Branch.organisation_id, func.count().label("n"))
        .where(Branch.active.is_(True))
        .group_by(Branch.organisation_id)
        .subquery()
    )
    conditions = []
    if visible_ids is not None:
        conditions.append(Organisation.id.in_(visible_ids))
    if region:
        conditions.append(Organisation.region == region)
    if active is not None:
        conditions.append(Organisation.active.is_(active))
    term = " ".join(search.split())
    if term:
        pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        columns = [
            Organisation.code,
            Organisation.name_en,
            Organisation.name_fr,
            Organisation.name_es,
            Organisation.name_ar,
            Organisation.country_en,
            Organisation.country_fr,
            Organisation.country_es,
            Organisation.country_ar,
        ]
        conditions.append(or_(*(column.ilike(pattern, escape="\\") for column in columns)))

    total = session.scalar(select(func.count()).select_from(Organisation).where(*conditions)) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    name_column = getattr(Organisation, f"name_{locale}", Organisation.name_en)
    query = (
        select(Organisation, func.coalesce(people.c.n, 0), func.coalesce(branches.c.n, 0))
        .outerjoin(people, people.c.organisation_id == Organisation.id)
        .outerjoin(branches, branches.c.organisation_id == Organisation.id)
        .where(*conditions)
        .order_by(Organisation.kind == "national_society", name_column, Organisation.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    items = [
        OrganisationSummary(org, n_people, n_branches) for org, n_people, n_branches in session.execute(query)
    ]
    return OrganisationPage(items=items, total=total, page=page, per_page=per_page)


def _sort_key(text: str) -> str:
    # Accents should not send "Émirats" after "Zambie": compare the letters without their marks.
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def organisations_for_select(session: Session, locale: str) -> list[tuple[int, str]]:
    """(id, name in `locale`) of every active organisation, sorted by that name: form choices."""
    organisations = session.scalars(select(Organisation).where(Organisation.active.is_(True)))
    choices = [(org.id, org.name(locale)) for org in organisations]
    return sorted(choices, key=lambda choice: _sort_key(choice[1]))


# --- Branches -------------------------------------------------------------------------------


def _require_manager(actor: User, organisation_id: int) -> None:
    if not can_manage_organisation(actor, organisation_id):
        raise PermissionDenied()


def _clean_branch_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise BranchNameError(_("Enter the branch's name."))
    if len(cleaned) > BRANCH_NAME_MAX:
        raise BranchNameError(
            _("A branch name must be at most %(max)d characters long.", max=BRANCH_NAME_MAX)
        )
    return cleaned


def _check_name_free(session: Session, organisation_id: int, name: str, branch_id: int | None = None) -> None:
    # Case-insensitive in Python: SQLite's lower() only folds ASCII letters.
    names = session.execute(
        select(Branch.id, Branch.name).where(Branch.organisation_id == organisation_id)
    ).all()
    if any(other.casefold() == name.casefold() and other_id != branch_id for other_id, other in names):
        raise DuplicateBranchName(name)


def _flush_branch(session: Session, branch: Branch) -> None:
    # The unique constraint still guards against two people adding the same name at once.
    try:
        with session.begin_nested():
            session.add(branch)
            session.flush()
    except IntegrityError:
        raise DuplicateBranchName(branch.name) from None


def create_branch(session: Session, actor: User, organisation: Organisation, name: str) -> Branch:
    """Add a branch to `organisation` (its focal points or an administrator); names are unique."""
    _require_manager(actor, organisation.id)
    cleaned = _clean_branch_name(name)
    _check_name_free(session, organisation.id, cleaned)
    branch = Branch(organisation_id=organisation.id, name=cleaned, active=True)
    _flush_branch(session, branch)
    record(
        session,
        "branch.create",
        actor_id=actor.id,
        organisation_id=organisation.id,
        target=f"{organisation.code}/{branch.id}",
        details={"name": cleaned},
    )
    return branch


def rename_branch(session: Session, actor: User, branch: Branch, name: str) -> Branch:
    """Give a branch a new name, unique within its organisation."""
    _require_manager(actor, branch.organisation_id)
    cleaned = _clean_branch_name(name)
    if cleaned == branch.name:
        return branch
    _check_name_free(session, branch.organisation_id, cleaned, branch_id=branch.id)
    old_name = branch.name
    branch.name = cleaned
    _flush_branch(session, branch)
    record(
        session,
        "branch.rename",
        actor_id=actor.id,
        organisation_id=branch.organisation_id,
        target=f"{branch.organisation.code}/{branch.id}",
        details={"from": old_name, "to": cleaned},
    )
    return branch


def set_branch_active(session: Session, actor: User, branch: Branch, active: bool) -> Branch:
    """Deactivate a branch (hidden from new registrations, its people and history kept) or reactivate it."""
    _require_manager(actor, branch.organisation_id)
    if branch.active != active:
        branch.active = active
        session.flush()
        record(
            session,
            "branch.active",
            actor_id=actor.id,
            organisation_id=branch.organisation_id,
            target=f"{branch.organisation.code}/{branch.id}",
            details={"name": branch.name, "active": active},
        )
    return branch


def get_branch(session: Session, organisation: Organisation, branch_id: int) -> Branch | None:
    """The branch `branch_id` if it belongs to `organisation`."""
    if not in_integer_range(branch_id):
        return None
    return session.scalar(
        select(Branch).where(Branch.id == branch_id, Branch.organisation_id == organisation.id)
    )


def branch_people_counts(session: Session, organisation_id: int) -> dict[int, int]:
    """Registered people per branch of the organisation (branches with nobody are absent)."""
    query = (
        select(User.branch_id, func.count())
        .where(
            User.organisation_id == organisation_id, User.branch_id.is_not(None), User.deleted_at.is_(None)
        )
        .group_by(User.branch_id)
    )
    return {branch_id: count for branch_id, count in session.execute(query)}


# --- Headcounts -----------------------------------------------------------------------------


def latest_allowed_date() -> date:
    """The latest "as of" date a headcount may have: today somewhere on Earth."""
    return (utcnow() + _EARLIEST_ZONE_AHEAD).date()


def declare_headcount(
    session: Session,
    actor: User,
    organisation: Organisation,
    *,
    staff: int,
    volunteers: int,
    as_of: date,
) -> Headcount:
    """Record a new declaration of staff and volunteers as of a date (history is never edited).

    Raises HeadcountError for a negative or implausibly large number or a date in the future.
    """
    _require_manager(actor, organisation.id)
    for field, value in (("staff", staff), ("volunteers", volunteers)):
        if value < 0:
            raise HeadcountError(field, _("Enter a number of 0 or more."))
        if value > HEADCOUNT_MAX:
            raise HeadcountError(field, _("Enter a number of at most %(max)d.", max=HEADCOUNT_MAX))
    if as_of > latest_allowed_date():
        raise HeadcountError("as_of", _("The date cannot be in the future."))
    if as_of < HEADCOUNT_EARLIEST:
        raise HeadcountError(
            "as_of", _("The date must be %(date)s or later.", date=HEADCOUNT_EARLIEST.isoformat())
        )
    headcount = Headcount(
        organisation_id=organisation.id,
        staff=staff,
        volunteers=volunteers,
        as_of=as_of,
        declared_at=utcnow(),
        declared_by_id=actor.id,
    )
    session.add(headcount)
    session.flush()
    record(
        session,
        "headcount.declare",
        actor_id=actor.id,
        organisation_id=organisation.id,
        target=organisation.code,
        details={"staff": staff, "volunteers": volunteers, "as_of": as_of.isoformat()},
    )
    return headcount


_NEWEST_FIRST = (Headcount.as_of.desc(), Headcount.declared_at.desc(), Headcount.id.desc())


def current_headcount(session: Session, organisation_id: int) -> Headcount | None:
    """The declaration in force: latest `as_of`, then the latest declared; None if never declared."""
    return session.scalar(
        select(Headcount)
        .where(Headcount.organisation_id == organisation_id)
        .order_by(*_NEWEST_FIRST)
        .limit(1)
    )


def current_headcounts(
    session: Session, organisation_ids: Sequence[int] | None = None
) -> dict[int, Headcount]:
    """The declaration in force of many organisations at once (all when `organisation_ids` is None)."""
    rank = (
        func.row_number().over(partition_by=Headcount.organisation_id, order_by=_NEWEST_FIRST).label("rank")
    )
    ranked = select(Headcount.id, rank)
    if organisation_ids is not None:
        ranked = ranked.where(Headcount.organisation_id.in_(organisation_ids))
    ranked_subquery = ranked.subquery()
    query = (
        select(Headcount)
        .join(ranked_subquery, ranked_subquery.c.id == Headcount.id)
        .where(ranked_subquery.c.rank == 1)
    )
    return {headcount.organisation_id: headcount for headcount in session.scalars(query)}


def headcount_history(session: Session, organisation_id: int) -> list[HeadcountEntry]:
    """Every declaration of the organisation, the one in force first, with who declared it."""
    query = (
        select(Headcount, User.name)
        .outerjoin(User, User.id == Headcount.declared_by_id)
        .where(Headcount.organisation_id == organisation_id)
        .order_by(*_NEWEST_FIRST)
    )
    return [HeadcountEntry(headcount, name) for headcount, name in session.execute(query)]


# --- Support contacts -----------------------------------------------------------------------


def _clean_contacts(text: str | None) -> str | None:
    lines = [line.rstrip() for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    cleaned = "\n".join(lines).strip()
    if len(cleaned) > SUPPORT_CONTACTS_MAX:
        raise SupportContactsTooLong()
    return cleaned or None


def set_support_contacts(session: Session, actor: User, organisation: Organisation, text: str | None) -> None:
    """Set where the organisation's people can get support (plain text; empty: use the default)."""
    _require_manager(actor, organisation.id)
    cleaned = _clean_contacts(text)
    if cleaned == organisation.support_contacts:
        return
    organisation.support_contacts = cleaned
    session.flush()
    record(
        session,
        "org.support_contacts",
        actor_id=actor.id,
        organisation_id=organisation.id,
        target=organisation.code,
        details={"length": len(cleaned or "")},
    )


def default_support_contacts(session: Session) -> str | None:
    """The Movement-wide support contacts, or None when no administrator has written any."""
    setting = session.get(SiteSetting, DEFAULT_SUPPORT_CONTACTS_KEY)
    return setting.value if setting else None


def set_default_support_contacts(session: Session, actor: User, text: str | None) -> None:
    """Set the Movement-wide support contacts (administrators only); empty removes them."""
    if not actor.is_admin:
        raise PermissionDenied()
    cleaned = _clean_contacts(text)
    setting = session.get(SiteSetting, DEFAULT_SUPPORT_CONTACTS_KEY)
    if (setting.value if setting else None) == cleaned:
        return
    if cleaned is None:
        session.delete(setting)
    elif setting is None:
        session.add(SiteSetting(key=DEFAULT_SUPPORT_CONTACTS_KEY, value=cleaned))
    else:
        setting.value = cleaned
    session.flush()
    record(
        session,
        "site.support_contacts",
        actor_id=actor.id,
        target=DEFAULT_SUPPORT_CONTACTS_KEY,
        details={"length": len(cleaned or "")},
    )


def support_contacts_for(session: Session, organisation: Organisation | None) -> str | None:
    """What a learner of `organisation` sees under "Need support?": its own contacts, else the
    Movement default, else None."""
    if organisation is not None and organisation.support_contacts:
        return organisation.support_contacts
    return default_support_contacts(session)
