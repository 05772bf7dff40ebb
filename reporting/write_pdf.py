"""Writing a claim pack as a PDF claim for sign-off (fpdf2).

The same figures as the workbook, from the same tables: the claim's own lines, its front tables
(totals by outcome, the commitment and caps, what changed, what can no longer be claimed), the
summary and every line. Each page is headed by the claim reference and footed "page x of y".

fpdf2 draws each cell's text as it is: tables are made with `markdown` off and no HTML is
rendered, so a participant id such as `<b>` or `=HYPERLINK(...)` is printed as those
characters. fpdf2's page-count alias (replaced by the number of pages when the file is written)
is two private-use characters that text from outside is never drawn with, not its default
`{nb}`, which a provider's id could hold.

The font is DejaVu Sans where the system has it (Debian's fonts-dejavu-core, which LibreOffice
brings); without it, the PDF core font Helvetica. A control character (which the workbook shows
by its control picture) prints in caret notation, BEL as ^G; a character the font cannot draw
as U+FFFD (Helvetica: "?"), never silently dropped and never failing the claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace, TTFFont

from contract_specs.model import from_minor
from ledger.intake.cell_safety import xlsx_text
from reporting.report import Column, Kind, Report, Table, as_date, as_utc, is_missing
from reporting.write_text import table_rows
from reporting.write_xlsx import SYMBOLS

FONT_FOLDERS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
FONT = "DejaVu"
CONTROL_PICTURES = range(0x2400, 0x2420)  # the workbook's stand-ins for C0 controls
MISSING = "\ufffd"  # a character the font cannot draw (DejaVu Sans has this one)
PAGE_COUNT = "\ue000\ue001"  # where fpdf2 writes the number of pages
CORE_PAGE_COUNT = "\x9e\x9f"  # the same in Helvetica's latin-1 (two C1 controls)
CORE_FONT = "Helvetica"
HEADING_FILL = (221, 228, 238)  # the workbook's header colour
# the lines a signer samples, in the order they read them; the rest stay in the workbook
PDF_LINE_COLUMNS = (
    "payer",  # in the intermediary's view across payers
    "participant_id",
    "metric",
    "achieved_on",
    "evidence_type",
    "submitted_at",
    "verified_by",
    "verified_at",
    "tariff",
    "amount",
    "kind",
    "corrects_period",
    "late_from_period",
)
RIGHT = (Kind.MONEY, Kind.INTEGER, Kind.PERCENT)
SAMPLE_ROWS = 200  # rows looked at to share the page's width between the columns
WIDEST = 60.0  # mm: a longer text wraps in its cell


def _weight(pdf: FPDF, column: Column, texts: list[str]) -> float:
    """A column's share of the page, measured in the table's font: its widest value, or its
    heading's widest word, so a date or a word of a heading is never split; a long text
    (wider than WIDEST) wraps in its cell."""
    widest = max((pdf.get_string_width(t) for t in texts), default=0.0)
    word = max((pdf.get_string_width(w) for w in column.label.split()), default=0.0) * 1.1
    return min(max(widest, word, 6.0), WIDEST) + 2.5  # the cell's padding


class _Claim(FPDF):
    """A landscape A4 page with the claim reference at its head and page x of y at its foot."""

    def __init__(self, report: Report) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.claim = report
        self.face = _fonts(self)
        # fpdf2 puts the page count in place of this text when the document is written: two
        # private-use characters, which `safe` never lets text from outside hold (its default,
        # "{nb}", a provider's id could)
        self.count_at = PAGE_COUNT if self.face == FONT else CORE_PAGE_COUNT
        self.str_alias_nb_pages = self.count_at
        self.set_auto_page_break(auto=True, margin=14)
        self.set_title(self.safe(report.title))
        self.set_creator("outcomes-ledger")
        self.set_creation_date(report.cut_off)

    def safe(self, text: str) -> str:
        """Text from outside as the font can draw it: data, never markup. A control character
        shows in caret notation (BEL as ^G, ESC as ^[), a character the font lacks as U+FFFD
        (the core font: "?"), so nothing is silently left out."""
        text = "".join(
            f"^{chr(ord(c) - 0x2400 + 0x40)}" if ord(c) in CONTROL_PICTURES else c
            for c in xlsx_text(text)
        )
        if self.face == CORE_FONT:  # latin-1 only; its C1 controls hold the page count
            text = text.encode("latin-1", "replace").decode("latin-1")
            return "".join("?" if "\x80" <= c <= "\x9f" else c for c in text)
        font = self.fonts[FONT.lower()]
        drawn = font.cmap if isinstance(font, TTFFont) else {}
        return "".join(
            c if (ord(c) in drawn or c in "\n\t") and c not in PAGE_COUNT else MISSING for c in text
        )

    def header(self) -> None:
        self.set_font(self.face, "B", 9)
        self.cell(0, 5, self.safe(f"Claim {self.claim.reference}"), new_x="LMARGIN")
        self.set_font(self.face, "", 8)
        self.cell(0, 5, self.safe(self.claim.contract_name), align="R", new_x="LMARGIN")
        self.ln(6)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(self.face, "", 7)
        cut = f"cut-off {self.claim.cut_off:%Y-%m-%d %H:%M} UTC"
        words = f"{self.safe(self.claim.reference)} · {cut} · page {self.page_no()} of "
        self.cell(0, 5, words + self.count_at, align="C")


def _fonts(pdf: FPDF) -> str:
    for folder in FONT_FOLDERS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdf.add_font(FONT, "", str(regular))
            pdf.add_font(FONT, "B", str(bold))
            return FONT
    return CORE_FONT


def write_pdf(report: Report, out: Path) -> int:
    """Write the claim at `out` (replaced if it exists); returns its number of pages."""
    pdf = _render(report)
    pdf.output(str(out))
    return pdf.page_no()


def _render(report: Report) -> _Claim:
    pdf = _Claim(report)
    pdf.add_page()
    pdf.set_font(pdf.face, "B", 12)
    pdf.multi_cell(0, 6, pdf.safe(report.title), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    _pairs(pdf, report.cover)
    for name in report.front:
        _table(pdf, report, report.table(name))
    if "summary" in {t.name for t in report.tables}:
        _table(pdf, report, report.table("summary"))
    lines = report.table("lines")
    chosen = tuple(c for c in lines.columns if c.name in PDF_LINE_COLUMNS)
    _table(pdf, report, lines, chosen, size=6.5)
    _sign_off(pdf)
    return pdf


def _sign_off(pdf: _Claim) -> None:
    """Where the payer's approver signs: name, role, signature and date, on one page."""
    if pdf.get_y() > pdf.h - 45:
        pdf.add_page()
    pdf.ln(6)
    pdf.set_font(pdf.face, "B", 9.5)
    pdf.cell(0, 6, "Approved for payment", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.face, "", 8.5)
    for label in ("Name", "Role", "Signature", "Date"):
        pdf.cell(28, 8, label)
        pdf.cell(110, 8, "", border="B", new_x="LMARGIN", new_y="NEXT")


def _pairs(pdf: _Claim, pairs: Sequence[tuple[str, str]]) -> None:
    pdf.set_font(pdf.face, "", 8.5)
    with pdf.table(
        col_widths=(45, 222),
        first_row_as_headings=False,
        borders_layout="NONE",
        text_align="LEFT",
        markdown=False,
        line_height=4.6,
        align="LEFT",
    ) as table:
        for label, value in pairs:
            row = table.row()
            row.cell(pdf.safe(label), style=FontFace(emphasis="BOLD"))
            row.cell(pdf.safe(value))


def _table(
    pdf: _Claim,
    report: Report,
    table: Table,
    columns: tuple[Column, ...] | None = None,
    size: float = 7.5,
) -> None:
    """A table under its title: headings in words, repeated on every page it runs over."""
    shown = columns or table.columns
    pdf.ln(3)
    pdf.set_font(pdf.face, "B", 9.5)
    pdf.multi_cell(0, 5, pdf.safe(table.title), align="L", new_x="LMARGIN", new_y="NEXT")
    if table.note:
        pdf.set_font(pdf.face, "", 7.5)
        pdf.multi_cell(0, 4, pdf.safe(table.note), align="L", new_x="LMARGIN", new_y="NEXT")
    if not len(table.frame):
        return
    pdf.set_font(pdf.face, "", size)
    at = [table.column_names.index(c.name) for c in shown]
    sample = list(table_rows(table))[:SAMPLE_ROWS]
    widths = [
        _weight(pdf, c, [pdf.safe(_text(c, r[i], report)) for r in sample])
        for c, i in zip(shown, at, strict=True)
    ]
    aligns = ["RIGHT" if c.kind in RIGHT else "LEFT" for c in shown]
    with pdf.table(
        col_widths=widths,
        text_align=aligns,
        markdown=False,
        line_height=size * 0.5,
        headings_style=FontFace(emphasis="BOLD", fill_color=HEADING_FILL),
        repeat_headings=1,
        width=pdf.epw,
    ) as drawn:
        heading = drawn.row()
        for column in shown:
            heading.cell(pdf.safe(column.label))
        for values in table_rows(table):
            row = drawn.row()
            for column, index in zip(shown, at, strict=True):
                row.cell(pdf.safe(_text(column, values[index], report)))


def _text(column: Column, value: object, report: Report) -> str:
    """A cell as the workbook shows it: money with its symbol, dates ISO, percent with %."""
    if is_missing(value) or value == "":
        return ""
    if column.kind is Kind.MONEY:
        amount = from_minor(int(value), report.exponent)  # type: ignore[call-overload]
        symbol = SYMBOLS.get(report.currency)
        sign = "-" if amount < 0 else ""
        return f"{sign}{symbol}{abs(amount):,}" if symbol else f"{amount:,} {report.currency}"
    if column.kind is Kind.DATE:
        day = as_date(value)
        return day.isoformat() if day else ""
    if column.kind is Kind.MOMENT:
        moment: datetime | None = as_utc(value)
        return f"{moment:%Y-%m-%d %H:%M}" if moment else ""
    if column.kind is Kind.PERCENT:
        return f"{value}%"
    if column.kind is Kind.BOOLEAN:
        return "yes" if bool(value) else "no"
    return str(value)
