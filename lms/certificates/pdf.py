"""The certificate as a one-page A4 landscape PDF: shaped text (Arabic joins and runs right to
left) in embedded Noto fonts, and a QR code of the verification address."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

log = logging.getLogger("lms.certificates")

NOTO = Path("/usr/share/fonts/truetype/noto")
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
# (family, regular file, bold file): Latin first, Arabic as the fallback for what Latin lacks.
NOTO_FONTS = (
    ("sans", NOTO / "NotoSans-Regular.ttf", NOTO / "NotoSans-Bold.ttf"),
    ("naskh", NOTO / "NotoNaskhArabic-Regular.ttf", NOTO / "NotoNaskhArabic-Bold.ttf"),
)
# DejaVu Sans covers Latin and Arabic in one family: lesser Arabic, but every name still prints.
DEJAVU_FONTS = (("sans", DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf"),)

# Arabic, Arabic Supplement, Arabic Extended-A and the presentation forms.
ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
ACCENT = (176, 0, 30)
INK = (26, 26, 26)
MUTED = (85, 85, 85)
PAGE_WIDTH = 297
PAGE_HEIGHT = 210
MARGIN = 22
QR_SIZE = 34


@dataclass(frozen=True)
class CertificateText:
    """Everything printed on a certificate, already translated and formatted."""

    platform: str
    heading: str
    certifies: str
    name: str
    completed: str
    course_title: str
    details: str
    organisation: str
    verify_label: str
    verify_url: str
    language: str
    right_to_left: bool = False


def _fonts(arabic: bool) -> tuple[tuple[str, Path, Path], ...]:
    if all(regular.exists() and bold.exists() for _family, regular, bold in NOTO_FONTS):
        # Reading a font costs memory and time: the Arabic one only for a certificate that needs it.
        return NOTO_FONTS if arabic else NOTO_FONTS[:1]
    log.warning("Noto fonts missing under %s (install fonts-noto-core): using DejaVu Sans", NOTO)
    return DEJAVU_FONTS


def _line(
    pdf: FPDF, text: str, size: float, *, bold: bool = False, color: tuple[int, int, int] = INK
) -> None:
    pdf.set_font("sans", "B" if bold else "", size)
    # fpdf2 believes its font is still selected after a line drawn in the fallback (Arabic)
    # font and would draw the next line's glyphs in it; make it select the font again.
    pdf.current_font_is_set_on_page = False
    pdf.set_text_color(*color)
    pdf.multi_cell(0, size * 0.5, text, align="C", new_x="LMARGIN", new_y="NEXT")


def _qr_png(url: str) -> io.BytesIO:
    import segno  # imported late, as fpdf in render_certificate

    image = io.BytesIO()
    segno.make(url, error="m").save(image, kind="png", scale=8, border=2)
    image.seek(0)
    return image


def render_certificate(text: CertificateText) -> bytes:
    """The certificate as PDF bytes."""
    # Imported when a worker draws its first certificate: fpdf2 and its font tools hold about
    # 20 MB, which a worker that only serves pages need not carry.
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_title(f"{text.heading}: {text.course_title}")
    pdf.set_author(text.platform)
    pdf.set_creator(text.platform)
    pdf.set_lang(text.language)
    fonts = _fonts(any(ARABIC.search(str(field)) for field in astuple(text)))
    for family, regular, bold in fonts:
        pdf.add_font(family, "", str(regular))
        pdf.add_font(family, "B", str(bold))
    if len(fonts) > 1:
        pdf.set_fallback_fonts([family for family, _regular, _bold in fonts[1:]], exact_match=False)
    pdf.set_text_shaping(True)
    pdf.add_page()

    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, PAGE_WIDTH - 16, PAGE_HEIGHT - 16)
    pdf.set_line_width(0.3)
    pdf.rect(11, 11, PAGE_WIDTH - 22, PAGE_HEIGHT - 22)

    pdf.set_y(MARGIN + 6)
    _line(pdf, text.platform, 12, bold=True, color=ACCENT)
    pdf.ln(6)
    _line(pdf, text.heading, 30, bold=True)
    pdf.ln(8)
    _line(pdf, text.certifies, 14, color=MUTED)
    pdf.ln(3)
    _line(pdf, text.name, 30, bold=True)
    pdf.ln(5)
    _line(pdf, text.completed, 14, color=MUTED)
    pdf.ln(3)
    _line(pdf, text.course_title, 22, bold=True)
    pdf.ln(8)
    _line(pdf, text.details, 12)
    pdf.ln(2)
    _line(pdf, text.organisation, 13)

    qr_top = PAGE_HEIGHT - MARGIN - QR_SIZE
    qr_x = MARGIN if text.right_to_left else PAGE_WIDTH - MARGIN - QR_SIZE
    pdf.image(
        _qr_png(text.verify_url),
        x=qr_x,
        y=qr_top,
        w=QR_SIZE,
        h=QR_SIZE,
        link=text.verify_url,
        alt_text=text.verify_url,
    )
    text_x = MARGIN + QR_SIZE + 6 if text.right_to_left else MARGIN
    text_width = PAGE_WIDTH - 2 * MARGIN - QR_SIZE - 6
    align = "R" if text.right_to_left else "L"
    pdf.set_xy(text_x, qr_top + QR_SIZE - 16)
    pdf.set_font("sans", "", 10)
    pdf.current_font_is_set_on_page = False
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(text_width, 5, text.verify_label, align=align, new_x="LEFT", new_y="NEXT")
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(
        text_width, 5, text.verify_url, align=align, link=text.verify_url, new_x="LEFT", new_y="NEXT"
    )
    return bytes(pdf.output())
