"""Reports for the web: reading a report's query from a URL, tables in either language, and
the CSV and XLSX files made from them. The figures themselves are computed by
:mod:`kiosk.domain.reports`; this package only presents them."""
