"""Native Excel charts (openpyxl.chart) for the tables of a report.

A chart reads its numbers from the table's own sheet, so it stays true to the cells beside it.
Only the xlsx writer imports this module. Charts that tell the truth (issue 14, STACK.md 12):
each chart has its own anchor (charts over one table are stacked, never at one cell), every
line is straight (`smooth` written false: LibreOffice draws an unmarked series as a spline, so
a total that only rises appears to dip), dates are spaced as dates on a date axis, and axes
carry titles and units in words.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.axis import DateAxis
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from ledger.intake.cell_safety import xlsx_text
from reporting.report import Chart, ChartKind, Kind, Table

HEIGHT_CM, WIDTH_CM = 9, 18
ROWS_PER_CHART = 20  # a 9 cm chart covers about 18 default rows (0.5 cm each): a gap of two


def chart_anchor(table: Table, index: int) -> str:
    """The cell the `index`-th chart over `table` is anchored at: right of the table, one
    below another."""
    return f"{get_column_letter(len(table.columns) + 2)}{2 + index * ROWS_PER_CHART}"


def _words(name: str) -> str:
    return name.replace("_", " ").capitalize()


def add_chart(sheet: WriteOnlyWorksheet, table: Table, chart: Chart, anchor: str) -> None:
    """Place `chart` (bars or lines over `table`'s columns) on `sheet` at `anchor`."""
    rows = len(table.frame)
    if rows == 0:
        return
    names = table.column_names
    kinds = {c.name: c.kind for c in table.columns}
    dated = chart.kind is ChartKind.LINE and kinds.get(chart.category) is Kind.DATE
    drawn = BarChart() if chart.kind is ChartKind.BAR else LineChart()
    drawn.title = xlsx_text(chart.title)  # titles are drawing XML: no control characters
    drawn.y_axis.title = xlsx_text(_y_title(chart))
    if dated:
        # uneven dates spaced by time, not as evenly spaced categories
        drawn.x_axis = DateAxis(crossAx=100)
        drawn.x_axis.number_format = "yyyy-mm-dd"
        drawn.x_axis.majorTimeUnit = "months"
    drawn.x_axis.title = _words(chart.category)
    drawn.height, drawn.width = HEIGHT_CM, WIDTH_CM
    for value in chart.values:
        column = names.index(value) + 1
        data = Reference(sheet, min_col=column, max_col=column, min_row=1, max_row=rows + 1)
        drawn.add_data(data, titles_from_data=True)
    if isinstance(drawn, LineChart):
        for series in drawn.series:
            series.smooth = False
    category = names.index(chart.category) + 1
    drawn.set_categories(
        Reference(sheet, min_col=category, max_col=category, min_row=2, max_row=rows + 1)
    )
    sheet.add_chart(drawn, anchor)


def _y_title(chart: Chart) -> str:
    """The value axis in words with its unit, e.g. "Amount (GBP)", "Participants"."""
    unit = chart.y_title
    if len(unit) == 3 and unit.isupper():  # a currency code
        return f"Amount ({unit})"
    return _words(unit) if unit else ""
