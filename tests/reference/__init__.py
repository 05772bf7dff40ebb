"""An independent, row-by-row reference engine the vectorised one is tested against."""
