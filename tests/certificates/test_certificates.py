"""Certificate PDFs (their owner only) and the public verification page."""

from __future__ import annotations

import io
import logging
import unicodedata

import pytest
import segno
from pypdf import PdfReader
from sqlalchemy import select

from lms.certificates import pdf as certificate_pdf
from lms.db import utcnow
from lms.learning import services
from lms.learning.models import Completion
from tests.factories import UserFactory
from tests.learning.conftest import RIGHT, login, make_version

ARABIC_NAME = "فاطمة الزهراء"


def _complete(db_session, user, version, language="en") -> Completion:
    enrolment = services.start_course(db_session, user, version.course, language)
    for lesson_id in ("lesson-one", "lesson-two"):
        services.record_lesson_view(db_session, user, enrolment, lesson_id)
    services.submit_knowledge_check(
        db_session, user, enrolment, "lesson-two", "check-one", RIGHT, f"certificate-{user.id:010d}"
    )
    return db_session.scalars(select(Completion).where(Completion.user_id == user.id)).one()


def _pdf(client, code):
    response = client.get(f"/certificates/{code}.pdf")
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    return PdfReader(io.BytesIO(response.data))


def _text(reader: PdfReader) -> str:
    return unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in reader.pages))


@pytest.fixture
def version(db_session):
    return make_version(course__slug="listening-basics")


def test_certificate_pdf_states_name_course_version_organisation_and_verification_address(
    client, db_session, version
):
    learner = UserFactory(name="José Müller-Łukasz")
    completion = _complete(db_session, learner, version)
    code = completion.certificate_code
    organisation = learner.organisation.name_en
    login(client, learner)
    reader = _pdf(client, code)
    assert len(reader.pages) == 1
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (842, 595)  # A4 landscape, in points
    text = _text(reader)
    assert "José Müller-Łukasz" in text
    assert "Certificate of completion" in text
    assert "listening-basics [en]" in text
    assert "Version 1.0" in text
    assert "About 35 minutes" in text
    assert f"Organisation: {organisation}" in text
    assert f"http://localhost/verify/{code}" in text
    links = [annotation.get_object()["/A"]["/URI"] for annotation in reader.pages[0]["/Annots"]]
    assert f"http://localhost/verify/{code}" in links


def test_certificate_qr_code_encodes_the_verification_address(client, db_session, version, learner):
    completion = _complete(db_session, learner, version)
    login(client, learner)
    reader = _pdf(client, completion.certificate_code)
    [image] = reader.pages[0].images
    picture = image.image.convert("L")
    expected = segno.make(f"http://localhost/verify/{completion.certificate_code}", error="m")
    modules = len(expected.matrix) + 4  # the printed code has a two-module quiet zone
    size = picture.width / modules
    for row, line in enumerate(expected.matrix):
        for column, dark in enumerate(line):
            pixel = picture.getpixel((int((column + 2.5) * size), int((row + 2.5) * size)))
            assert (pixel < 128) == bool(dark), (row, column)


def test_certificate_prints_an_arabic_name_shaped_right_to_left(client, db_session, version):
    learner = UserFactory(name=ARABIC_NAME)
    completion = _complete(db_session, learner, version)
    login(client, learner)
    reader = _pdf(client, completion.certificate_code)
    text = _text(reader)
    # Shaped Arabic comes out as contextual glyphs in visual order: compare word by word.
    for word in ARABIC_NAME.split():
        assert word in text
    assert "Certificate of completion" in text
    fonts = str(reader.pages[0]["/Resources"]["/Font"].get_object())
    embedded = [
        str(font.get_object()["/BaseFont"]) for font in reader.pages[0]["/Resources"]["/Font"].values()
    ]
    assert any("NotoNaskhArabic" in name for name in embedded), fonts


def test_certificate_is_drawn_right_to_left_for_an_arabic_reader(client, db_session, version, learner):
    completion = _complete(db_session, learner, version)
    learner.locale = "ar"
    login(client, learner)
    text = _text(_pdf(client, completion.certificate_code))
    assert learner.name in text
    assert f"http://localhost/verify/{completion.certificate_code}" in text


def test_certificate_falls_back_to_dejavu_when_noto_is_missing(db_session, monkeypatch, caplog, tmp_path):
    monkeypatch.setattr(
        certificate_pdf,
        "NOTO_FONTS",
        (("sans", tmp_path / "missing.ttf", tmp_path / "missing-bold.ttf"),),
    )
    text = certificate_pdf.CertificateText(
        platform="PSS Learning",
        heading="Certificate of completion",
        certifies="This certifies that",
        name=ARABIC_NAME,
        completed="has completed the course",
        course_title="Caring for yourself",
        details="Version 1.0",
        organisation="Organisation: Test",
        verify_label="Check it at:",
        verify_url="http://localhost/verify/X",
        language="en",
    )
    with caplog.at_level(logging.WARNING, logger="lms.certificates"):
        document = certificate_pdf.render_certificate(text)
    assert "fonts-noto-core" in caplog.text
    extracted = _text(PdfReader(io.BytesIO(document)))
    for word in ARABIC_NAME.split():
        assert word in extracted


def test_certificate_pdf_is_only_for_its_owner(client, db_session, version, learner):
    completion = _complete(db_session, learner, version)
    code = completion.certificate_code
    response = client.get(f"/certificates/{code}.pdf")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    login(client, UserFactory())
    assert client.get(f"/certificates/{code}.pdf").status_code == 404
    assert client.get("/certificates/NOT-A-CODE.pdf").status_code == 404


def test_verification_page_shows_only_name_course_date_and_organisation(client, db_session, version, learner):
    completion = _complete(db_session, learner, version)
    response = client.get(f"/verify/{completion.certificate_code}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert learner.name in page
    assert "listening-basics [en]" in page
    assert learner.organisation.name_en in page
    assert str(completion.completed_at.year) in page
    assert learner.email not in page
    assert "100" not in page  # no score
    assert 'content="noindex"' in page


def test_verification_accepts_the_code_typed_in_lower_case(client, db_session, version, learner):
    completion = _complete(db_session, learner, version)
    assert client.get(f"/verify/{completion.certificate_code.lower()}").status_code == 200


@pytest.mark.parametrize(
    "make_code",
    [
        lambda code: services.new_certificate_code(),
        lambda code: code[:-1] + ("A" if code[-1] != "A" else "B"),
        lambda code: code[:10],
        lambda code: code + "A",
        lambda code: "%27%20OR%201=1",
        lambda code: "x" * 300,
    ],
    ids=["random", "altered", "truncated", "extended", "injection", "very-long"],
)
def test_unknown_certificate_code_is_not_found(client, db_session, version, learner, make_code):
    completion = _complete(db_session, learner, version)
    response = client.get(f"/verify/{make_code(completion.certificate_code)}")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "No certificate found" in page
    assert learner.name not in page


def test_certificate_of_a_deleted_account_is_not_found(client, db_session, version, learner):
    completion = _complete(db_session, learner, version)
    code = completion.certificate_code
    completion.user_id = None
    db_session.flush()
    response = client.get(f"/verify/{code}")
    assert response.status_code == 404
    assert "No certificate found" in response.get_data(as_text=True)


def test_certificate_of_an_account_being_deleted_is_not_found(client, db_session, version, learner):
    completion = _complete(db_session, learner, version)
    learner.deleted_at = utcnow()
    db_session.flush()
    assert client.get(f"/verify/{completion.certificate_code}").status_code == 404
