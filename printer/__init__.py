"""Ticket printing: layout (slip → 1-bit image), ESC/POS bytes, and the transports.

* `printer.spec`: `PrinterSpec` and `parse_printer_uri` (``MOTCUA_PRINTER`` and kiosk config).
* `printer.layout` (with `printer.blocks`): `TicketSlip`, `DocumentSlip` → blocks → image. Pure.
* `printer.escpos_bytes`: `render_escpos(slip, spec)` and `render_preview(slip, spec)`.
* `printer.transports`: `open_transport(spec).send(data)`, or `PrinterError(permanent=...)`.

Nothing here imports python-escpos at package import: only `printer._escpos` does.
"""
