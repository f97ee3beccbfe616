"""Loading the organisations of the Movement: the CSV parser, the sync and `flask orgs sync`."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.config import PROJECT_ROOT
from lms.orgs.models import REGIONS, Organisation
from lms.orgs.services import (
    CSV_COLUMNS,
    DuplicateOrganisationCode,
    OrganisationFileError,
    OrganisationRow,
    parse_national_societies_csv,
    set_organisation_active,
    sync_organisations,
)
from tests.factories import RoleGrantFactory

SHIPPED = PROJECT_ROOT / "data" / "national_societies.csv"
SHIPPED_TEXT = SHIPPED.read_text(encoding="utf-8")
HEADER, *LINES = SHIPPED_TEXT.splitlines()


def organisation(session, code):
    return session.scalar(select(Organisation).where(Organisation.code == code))


def count_organisations(session):
    return session.scalar(select(func.count()).select_from(Organisation))


def test_shipped_file_lists_192_societies_with_valid_regions():
    rows = parse_national_societies_csv(SHIPPED_TEXT)
    assert len(rows) == 192
    assert {row.region for row in rows} == set(REGIONS)
    assert all(row.kind == "national_society" for row in rows)


def test_shipped_data_keeps_its_source_and_licence_notice():
    readme = (PROJECT_ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert "IFRCGo/go-api" in readme
    assert "Copyright (c) 2017 Go" in readme
    assert "The above copyright notice and this permission notice shall be included" in readme


def test_sync_command_loads_every_society_and_both_international_bodies(runner, db_session):
    result = runner.invoke(args=["orgs", "sync"])

    assert result.exit_code == 0, result.output
    assert "194 created, 0 updated, 0 unchanged" in result.output
    kinds = dict(
        db_session.execute(select(Organisation.kind, func.count()).group_by(Organisation.kind)).all()
    )
    assert kinds == {"national_society": 192, "ifrc": 1, "icrc": 1}
    kenya = organisation(db_session, "KEN")
    assert (kenya.name_en, kenya.name_fr, kenya.name_es) == (
        "Kenya Red Cross Society",
        "Croix-Rouge du Kenya",
        "Cruz Roja de Kenia",
    )
    assert kenya.name_ar == "جمعية الصليب الأحمر الكينية"
    assert kenya.name("ar") == "جمعية الصليب الأحمر الكينية"
    assert (kenya.region, kenya.iso2, kenya.fdrs_code, kenya.country_fr) == (
        "Africa",
        "KE",
        "DKE001",
        "Kenya",
    )
    assert kenya.directory_url == "https://www.ifrc.org/national-societies-directory/kenya-red-cross-society"
    assert kenya.active is True
    bhutan = organisation(db_session, "BTN")
    assert bhutan.fdrs_code is None
    assert organisation(db_session, "CIV").name_fr == "Croix-Rouge de Côte d'Ivoire"


def test_international_bodies_have_official_names_in_four_languages_and_no_region(runner, db_session):
    runner.invoke(args=["orgs", "sync"])

    ifrc = organisation(db_session, "IFRC")
    assert ifrc.kind == "ifrc" and ifrc.region is None
    assert ifrc.name("en") == "International Federation of Red Cross and Red Crescent Societies"
    assert ifrc.name("fr") == "Fédération internationale des Sociétés de la Croix-Rouge et du Croissant-Rouge"
    assert ifrc.name("es") == "Federación Internacional de Sociedades de la Cruz Roja y de la Media Luna Roja"
    assert ifrc.name("ar") == "الاتحاد الدولي لجمعيات الصليب الأحمر والهلال الأحمر"
    icrc = organisation(db_session, "ICRC")
    assert icrc.kind == "icrc" and icrc.region is None
    assert icrc.name("en") == "International Committee of the Red Cross"
    assert icrc.name("fr") == "Comité international de la Croix-Rouge"
    assert icrc.name("es") == "Comité Internacional de la Cruz Roja"
    assert icrc.name("ar") == "اللجنة الدولية للصليب الأحمر"


def test_second_sync_changes_nothing(runner, db_session):
    runner.invoke(args=["orgs", "sync"])
    events = db_session.scalar(select(func.count()).select_from(AuditEvent))

    result = runner.invoke(args=["orgs", "sync"])

    assert result.exit_code == 0
    assert "0 created, 0 updated, 194 unchanged" in result.output
    assert count_organisations(db_session) == 194
    assert db_session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_sync_updates_changed_names_region_and_url_and_records_it(db_session):
    sync_organisations(db_session, parse_national_societies_csv(SHIPPED_TEXT))
    kenya_line = next(line for line in LINES if ",KEN," in line)
    changed = kenya_line.replace("Kenya Red Cross Society,", "Kenya Red Cross,").replace(
        "kenya-red-cross-society", "kenya-red-cross"
    )
    changed = changed.replace(",Africa,", ",Europe,")

    result = sync_organisations(db_session, parse_national_societies_csv(f"{HEADER}\n{changed}\n"))

    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    kenya = organisation(db_session, "KEN")
    assert kenya.name_en == "Kenya Red Cross"
    assert kenya.region == "Europe"
    assert kenya.directory_url.endswith("/kenya-red-cross")
    event = db_session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.action == "orgs.sync"
    assert set(event.details["updated"]["KEN"]) == {"name_en", "region", "directory_url"}


def test_sync_never_deletes_and_names_organisations_missing_from_the_list(runner, db_session, tmp_path):
    runner.invoke(args=["orgs", "sync"])
    short = tmp_path / "short.csv"
    short.write_text(f"{HEADER}\n{LINES[0]}\n", encoding="utf-8")

    result = runner.invoke(args=["orgs", "sync", "--file", str(short)])

    assert result.exit_code == 0
    assert "0 created, 0 updated, 3 unchanged" in result.output
    assert "KEN" in result.output
    assert count_organisations(db_session) == 194


def test_society_marked_inactive_stays_inactive_after_sync(runner, db_session):
    runner.invoke(args=["orgs", "sync"])
    admin = RoleGrantFactory(role="admin").user
    set_organisation_active(db_session, admin, organisation(db_session, "KEN"), False)
    db_session.commit()

    result = runner.invoke(args=["orgs", "sync"])

    assert result.exit_code == 0
    assert organisation(db_session, "KEN").active is False


def _line(code):
    return next(line for line in LINES if f",{code}," in line)


MALFORMED = {
    "missing column": (
        HEADER.replace(",ifrc_region", "") + "\n" + _line("KEN").replace(",Africa", "") + "\n",
        1,
        "missing column(s): ifrc_region",
    ),
    "unknown region": (
        f"{HEADER}\n{_line('AND')}\n{_line('KEN').replace(',Africa,', ',Oceania,')}\n",
        3,
        "Oceania",
    ),
    "empty name": (
        f"{HEADER}\n{_line('AND')}\n{_line('AFG')}\n{_line('KEN').replace('Croix-Rouge du Kenya', '')}\n",
        4,
        "society_name_fr is empty",
    ),
    "duplicate code": (
        f"{HEADER}\n{_line('KEN')}\n{_line('AND')}\n{_line('KEN')}\n",
        4,
        "the code KEN is already used on line 2",
    ),
    "missing field": (f"{HEADER}\n{_line('KEN').rsplit(',', 1)[0]}\n", 2, "expected 13 fields, found 12"),
    "bad code": (f"{HEADER}\n{_line('KEN').replace(',KEN,', ',KENYA,')}\n", 2, "iso3 must be three capital"),
    "insecure url": (f"{HEADER}\n{_line('KEN').replace('https://', 'http://')}\n", 2, "https://"),
    "broken quoting": (f'{HEADER}\n{_line("AND")}\n"KE"x,{_line("KEN")[3:]}\n', 3, "unreadable CSV"),
    "no rows": (f"{HEADER}\n\n", 1, "no National Society"),
    "empty file": ("", 1, "the file is empty"),
}


@pytest.mark.parametrize("problem", list(MALFORMED))
def test_malformed_file_names_the_line_and_writes_nothing(problem, runner, db_session, tmp_path):
    text, line, message = MALFORMED[problem]
    bad = tmp_path / "bad.csv"
    bad.write_text(text, encoding="utf-8")

    result = runner.invoke(args=["orgs", "sync", "--file", str(bad)])

    assert result.exit_code == 1
    assert f"Line {line}: " in result.output
    assert message in result.output
    assert count_organisations(db_session) == 0


def test_malformed_file_leaves_a_loaded_database_untouched(runner, db_session, tmp_path):
    runner.invoke(args=["orgs", "sync"])
    bad = tmp_path / "bad.csv"
    renamed = _line("AND").replace("Andorran Red Cross", "Renamed")
    bad.write_text(
        f"{HEADER}\n{renamed}\n{_line('KEN').replace(',Africa,', ',Atlantis,')}\n", encoding="utf-8"
    )

    result = runner.invoke(args=["orgs", "sync", "--file", str(bad)])

    assert result.exit_code == 1
    assert "Line 3: unknown region “Atlantis”" in result.output
    assert organisation(db_session, "AND").name_en == "Andorran Red Cross"


def test_file_that_is_not_utf8_is_refused(runner, db_session, tmp_path):
    bad = tmp_path / "latin1.csv"
    bad.write_bytes(f"{HEADER}\n{_line('CIV')}\n".encode("latin-1", errors="replace"))

    result = runner.invoke(args=["orgs", "sync", "--file", str(bad)])

    assert result.exit_code == 1
    assert "not UTF-8" in result.output
    assert count_organisations(db_session) == 0


def test_parser_accepts_a_byte_order_mark_columns_in_any_order_and_quoted_fields():
    columns = list(reversed(CSV_COLUMNS))
    values = dict(zip(HEADER.split(","), _line("KEN").split(","), strict=True))
    values["society_name_en"] = "Kenya Red Cross Society, Nairobi"
    line = ",".join(f'"{values[column]}"' for column in columns)

    rows = parse_national_societies_csv("\ufeff" + ",".join(columns) + "\r\n" + line + "\r\n")

    assert rows[0].code == "KEN"
    assert rows[0].name_en == "Kenya Red Cross Society, Nairobi"


def test_line_numbers_count_physical_lines_of_multiline_fields():
    values = _line("AND").split(",")
    values[4] = '"Andorran\nRed Cross"'
    text = f"{HEADER}\n{','.join(values)}\n{_line('KEN').replace(',Africa,', ',Mars,')}\n"

    with pytest.raises(OrganisationFileError) as error:
        parse_national_societies_csv(text)

    assert error.value.line == 4


def test_sync_refuses_a_row_that_reuses_an_international_bodys_code(db_session):
    impostor = OrganisationRow(
        code="IFRC", kind="national_society", name_en="x", name_fr="x", name_es="x", name_ar="x"
    )
    with pytest.raises(DuplicateOrganisationCode):
        sync_organisations(db_session, [impostor])
    assert count_organisations(db_session) == 0
