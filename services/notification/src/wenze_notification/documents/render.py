"""A filled form as DOCX (what offices edit, python-docx) and as PDF (WeasyPrint, set in the
CJK font the project's setup fetches)."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from jinja2 import Environment, FileSystemLoader, select_autoescape

from wenze_notification.documents.forms import FilledForm

_HTML = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")), autoescape=select_autoescape(["html", "j2"])
)
DOCX_FONT = "宋体"


def to_pdf(form: FilledForm, font: Path) -> bytes:
    from weasyprint import HTML  # imported when used: it loads Pango, which the API needs only here

    html = _HTML.get_template("form.html.j2").render(form=form, font_url=font.as_uri())
    pdf = HTML(string=html).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def to_docx(form: FilledForm) -> bytes:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = DOCX_FONT
    style.font.size = Pt(12)
    # East Asian text takes its font from eastAsia, not from the name above.
    style.element.rPr.rFonts.set(qn("w:eastAsia"), DOCX_FONT)
    if form.layout == "letter":
        _letter(document, form)
    else:
        _table_form(document, form)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _centred(document: DocxDocument, text: str, size: float, *, colour: RGBColor | None = None) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    if colour is not None:
        run.font.color.rgb = colour


def _table_form(document: DocxDocument, form: FilledForm) -> None:
    for line in form.title:
        _centred(document, line, 18)
    document.add_paragraph("　　".join(form.meta))
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row in form.rows:
        cells = table.add_row().cells
        cells[0].text = row.label
        cells[0].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        lines = row.value.split("\n") if row.value else [""]
        cells[1].text = lines[0]
        for extra in lines[1:]:
            cells[1].add_paragraph(extra)
        for _ in range(max(0, row.lines - len(lines))):
            cells[1].add_paragraph("")


def _letter(document: DocxDocument, form: FilledForm) -> None:
    _centred(document, form.issuer, 20, colour=RGBColor(0xCC, 0, 0))
    head = document.add_paragraph(f"{form.classification}\t\t\t\t{form.number}")
    head.alignment = WD_ALIGN_PARAGRAPH.LEFT
    _centred(document, "".join(form.title), 17)
    document.add_paragraph(form.addressee)
    for text in form.paragraphs:
        paragraph = document.add_paragraph(text)
        paragraph.paragraph_format.first_line_indent = Pt(24)
    for text in (form.signature, form.signed_on):
        paragraph = document.add_paragraph(text)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
