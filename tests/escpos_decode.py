"""The ESC/POS decoder for tests lives in the printer library (``printer.decode``), where the
``motcua escpos-png`` command uses it too; this name stays for the tests that import it."""

from printer.decode import (  # noqa: F401
    Cut,
    Event,
    Feed,
    Init,
    QRCode,
    Raster,
    Status,
    Style,
    TextLine,
    decode,
    rasters,
    stacked_image,
    texts,
    to_image,
)
