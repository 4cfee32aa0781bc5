"""A small library for ESC/POS thermal printers: slips to pictures to bytes, and bytes to the
printer. It knows nothing of the application (imports nothing from ``kiosk``).

* `printer.spec`: `PrinterSpec` and `parse_printer_uri` (which printer, how to reach and encode).
* `printer.layout`: `TicketSlip`, `DocumentSlip` → blocks (`printer.blocks`), drawn by
  `printer.render` with text wrapped by `printer.wrap`. Pure.
* `printer.escpos_bytes`: `render_escpos(slip, spec)` and `render_preview(slip, spec)`; the
  compact encoding is `printer.compact`.
* `printer.port`: the port, `Printer` (``send(bytes)`` or `PrinterError(permanent=...)`, and
  an advisory `PrinterState`); `printer.transports`: one module per medium, `open_transport`.
* `printer.decode`: ESC/POS bytes back to events and to a picture (``motcua escpos-png``).
* `printer.agent`: ``motcua print-agent``, beside a kiosk PC's printer.

Nothing here imports python-escpos at package import: only `printer._escpos` does.
"""
