"""Native Excel charts (openpyxl.chart) for the tables of a report.

A chart reads its numbers from the table's own sheet, so it stays true to the cells beside it.
Only the xlsx writer imports this module.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from ledger.intake.cell_safety import xlsx_text
from reporting.report import Chart, ChartKind, Table


def add_chart(sheet: WriteOnlyWorksheet, table: Table, chart: Chart, anchor: str) -> None:
    """Place `chart` (bars or lines over `table`'s columns) on `sheet` at `anchor`."""
    rows = len(table.frame)
    if rows == 0:
        return
    names = table.column_names
    drawn = BarChart() if chart.kind is ChartKind.BAR else LineChart()
    drawn.title = xlsx_text(chart.title)  # titles are drawing XML: no control characters
    drawn.y_axis.title = xlsx_text(chart.y_title)
    drawn.x_axis.title = chart.category
    drawn.height, drawn.width = 9, 18
    for value in chart.values:
        column = names.index(value) + 1
        data = Reference(sheet, min_col=column, max_col=column, min_row=1, max_row=rows + 1)
        drawn.add_data(data, titles_from_data=True)
    category = names.index(chart.category) + 1
    drawn.set_categories(
        Reference(sheet, min_col=category, max_col=category, min_row=2, max_row=rows + 1)
    )
    sheet.add_chart(drawn, anchor)
