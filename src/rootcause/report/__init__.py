"""The weekly report: numbers for a period (context), charts (SVG), and the PDF (render)."""
