"""The printer port: real sockets, files, folders and a pseudo-terminal; no printer needed."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from printer.escpos_bytes import render_escpos
from printer.samples import sample_ticket
from printer.spec import parse_printer_uri
from printer.transports import (
    DummyTransport,
    FileTransport,
    NetworkTransport,
    PrinterError,
    SpoolTransport,
    Transport,
    open_transport,
    parse_online,
    parse_paper,
)

JOB = b"\x1b@hello\n\x1dV\x01"


def transport(uri: str) -> Transport:
    return open_transport(parse_printer_uri(uri))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakePrinter:
    """A local TCP 'printer': records what it reads, answers status queries if told to.

    With ``read=False`` it accepts connections and never reads, with a small receive buffer,
    like a printer that is jammed or out of paper.
    """

    def __init__(self, *, read: bool = True, replies: dict[bytes, bytes] | None = None) -> None:
        self.server = socket.socket()
        if not read:
            self.server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.server.settimeout(0.05)
        self.port = int(self.server.getsockname()[1])
        self.read = read
        self.replies = replies or {}
        self.received = bytearray()
        self.connections: list[socket.socket] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.done.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            self.connections.append(conn)
            if self.read:
                self.handle(conn)

    def handle(self, conn: socket.socket) -> None:
        conn.settimeout(0.05)
        scanned = len(self.received)
        while not self.done.is_set():
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            except ConnectionResetError:  # the sender gave up on a job and reset the line
                return
            if not chunk:
                return
            self.received += chunk
            # Answer each real-time query (DLE EOT n) in the order it came, as a printer does.
            while (at := self.received.find(b"\x10\x04", scanned)) >= 0:
                if at + 3 > len(self.received):
                    break
                query = bytes(self.received[at : at + 3])
                scanned = at + 3
                if query in self.replies:
                    conn.sendall(self.replies[query])

    def wait_for(self, size: int, timeout: float = 5) -> bytes:
        deadline = time.monotonic() + timeout
        while len(self.received) < size and time.monotonic() < deadline:
            time.sleep(0.005)
        return bytes(self.received)

    def close(self) -> None:
        self.done.set()
        self.thread.join(5)
        self.server.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def fake_printer() -> Iterator[Callable[..., FakePrinter]]:
    """Makes fake printers and closes them after the test."""
    made: list[FakePrinter] = []

    def make(*, read: bool = True, replies: dict[bytes, bytes] | None = None) -> FakePrinter:
        made.append(FakePrinter(read=read, replies=replies))
        return made[-1]

    yield make
    for printer in made:
        printer.close()


# --- dummy ---------------------------------------------------------------------------------


def test_dummy_keeps_the_bytes_and_can_fail_on_demand() -> None:
    dummy = transport("dummy")
    assert isinstance(dummy, DummyTransport)
    dummy.send(JOB)
    dummy.send(b"second")
    assert dummy.jobs == [JOB, b"second"]
    assert dummy.output == JOB + b"second"
    dummy.fail_next = PrinterError("paper out", permanent=False)
    with pytest.raises(PrinterError, match="paper out"):
        dummy.send(JOB)
    dummy.send(JOB)
    assert len(dummy.jobs) == 3
    assert dummy.status().online is True


# --- network -------------------------------------------------------------------------------


def test_refused_connection_is_transient_and_quick() -> None:
    printer = transport(f"network:127.0.0.1:{closed_port()}?timeout_s=2")
    started = time.monotonic()
    with pytest.raises(PrinterError) as info:
        printer.send(JOB)
    assert time.monotonic() - started < 1
    assert info.value.permanent is False
    assert "refused" in str(info.value)
    status = printer.status()
    assert status.online is False and "refused" in status.detail


def test_network_delivers_the_whole_job(fake_printer: Callable[..., FakePrinter]) -> None:
    fake = fake_printer()
    data = render_escpos(sample_ticket(), parse_printer_uri("dummy"))
    transport(f"network:127.0.0.1:{fake.port}?status=off").send(data)
    assert fake.wait_for(len(data)) == data


def test_printer_that_never_reads_times_out(fake_printer: Callable[..., FakePrinter]) -> None:
    fake = fake_printer(read=False)
    printer = transport(f"network:127.0.0.1:{fake.port}?timeout_s=0.5")
    started = time.monotonic()
    with pytest.raises(PrinterError) as info:
        printer.send(b"\0" * 16_000_000)  # far more than both socket buffers hold
    elapsed = time.monotonic() - started
    assert elapsed < 3
    assert info.value.permanent is False
    assert "timed out" in str(info.value)


def test_a_ticket_swallowed_by_socket_buffers_is_not_sent(
    fake_printer: Callable[..., FakePrinter],
) -> None:
    """A ticket-sized job fits in the kernel's buffers: the write returns at once. It still
    counts as sent only once the printer acknowledged every byte, which a printer that never
    reads does not."""
    fake = fake_printer(read=False)
    data = render_escpos(sample_ticket(), parse_printer_uri("dummy"))
    printer = transport(f"network:127.0.0.1:{fake.port}?timeout_s=0.5&status=off")
    with pytest.raises(PrinterError, match=r"timed out: the printer took [\d,]+ of") as info:
        printer.send(data)
    assert info.value.permanent is False


OK = {b"\x10\x04\x01": b"\x12", b"\x10\x04\x04": b"\x12"}


def test_status_on_needs_a_reply_after_the_job(fake_printer: Callable[..., FakePrinter]) -> None:
    answering = fake_printer(replies=OK)
    transport(f"network:127.0.0.1:{answering.port}?timeout_s=1&status=on").send(JOB)
    assert answering.wait_for(len(JOB) + 6) == JOB + b"\x10\x04\x01\x10\x04\x04"
    silent = fake_printer()  # reads everything, answers nothing: jammed after its buffer
    printer = transport(f"network:127.0.0.1:{silent.port}?timeout_s=0.5&status=on")
    with pytest.raises(PrinterError, match="no status reply") as info:
        printer.send(JOB)
    assert info.value.permanent is False


@pytest.mark.parametrize(
    ("online", "paper", "message"),
    [(b"\x1a", b"\x12", "offline"), (b"\x12", b"\x72", "out of paper")],
)
def test_printer_that_reports_trouble_after_the_job_failed_it(
    fake_printer: Callable[..., FakePrinter], online: bytes, paper: bytes, message: str
) -> None:
    fake = fake_printer(replies={b"\x10\x04\x01": online, b"\x10\x04\x04": paper})
    with pytest.raises(PrinterError, match=message):
        transport(f"network:127.0.0.1:{fake.port}?timeout_s=1").send(JOB)


def test_status_auto_learns_whether_the_printer_answers(
    fake_printer: Callable[..., FakePrinter],
) -> None:
    # A model that never answers: after two silent jobs it is no longer asked (nor waited for).
    mute = fake_printer()
    printer = transport(f"network:127.0.0.1:{mute.port}?timeout_s=1")
    printer.send(JOB)
    printer.send(JOB)
    assert printer.answers_status is False
    started = time.monotonic()
    printer.send(JOB)
    assert time.monotonic() - started < 0.5
    # A model that answered once must answer after every job from then on.
    fake = fake_printer(replies=OK)
    printer = transport(f"network:127.0.0.1:{fake.port}?timeout_s=0.5")
    printer.send(JOB)
    assert printer.answers_status is True
    fake.replies.clear()  # it hangs
    with pytest.raises(PrinterError, match="no status reply"):
        printer.send(JOB)


def test_network_status_reads_the_real_time_replies(
    fake_printer: Callable[..., FakePrinter],
) -> None:
    fake = fake_printer(replies={b"\x10\x04\x01": b"\x12", b"\x10\x04\x04": b"\x1e"})
    status = transport(f"network:127.0.0.1:{fake.port}?timeout_s=1").status()
    assert status.online is True
    assert status.paper == "near_end"


def test_network_status_without_replies_is_unknown_and_bounded(
    fake_printer: Callable[..., FakePrinter],
) -> None:
    fake = fake_printer()
    printer = transport(f"network:127.0.0.1:{fake.port}?timeout_s=0.5")
    started = time.monotonic()
    status = printer.status()
    assert time.monotonic() - started < 1.5
    assert status.online is None and status.paper is None


@pytest.mark.parametrize(
    ("reply", "online"),
    [(b"", None), (b"\x12", True), (b"\x1a", False), (b"\x16", True), (b"\xff", None)],
)
def test_printer_status_byte(reply: bytes, online: bool | None) -> None:
    assert parse_online(reply) is online


@pytest.mark.parametrize(
    ("reply", "paper"),
    [
        (b"", None),  # python-escpos 3.1 calls an empty reply "paper OK"; we do not
        (b"\x12", "ok"),
        (b"\x1e", "near_end"),
        (b"\x72", "out"),
        (b"\x7e", "out"),
        (b"\x00", None),
    ],
)
def test_paper_status_byte(reply: bytes, paper: str | None) -> None:
    assert parse_paper(reply) == paper


# --- spool ---------------------------------------------------------------------------------


def test_spool_writes_one_file_per_job_in_time_order(tmp_path: Path) -> None:
    folder = tmp_path / "spool" / "kiosk-1"
    printer = transport(f"spool:{folder}")
    assert isinstance(printer, SpoolTransport)
    jobs = [JOB, b"job 2", b"job 3" * 1000]
    for job in jobs:
        printer.send(job)
    files = printer.jobs()
    assert [f.read_bytes() for f in files] == jobs
    assert sorted(os.listdir(folder)) == [f.name for f in files]  # no temporary left over
    assert len({f.name for f in files}) == 3
    assert printer.status().pending == 3


def test_spool_names_sort_by_time_across_instances(tmp_path: Path) -> None:
    first, second = transport(f"spool:{tmp_path}"), transport(f"spool:{tmp_path}")
    second.send(b"1")
    time.sleep(0.002)
    first.send(b"2")
    time.sleep(0.002)
    second.send(b"3")
    assert [p.read_bytes() for p in sorted(tmp_path.iterdir())] == [b"1", b"2", b"3"]


def test_spool_folder_that_cannot_exist_is_a_permanent_error(tmp_path: Path) -> None:
    # A path under a regular file: refused even to root (chmod would not stop root).
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    for folder in (blocker / "spool", blocker):
        printer = transport(f"spool:{folder}")
        with pytest.raises(PrinterError) as info:
            printer.send(JOB)
        assert info.value.permanent is True
        assert str(folder) in str(info.value)
        assert printer.status().online is False


def test_spool_write_failure_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    printer = transport(f"spool:{tmp_path}")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(PrinterError) as info:
        printer.send(JOB)
    assert info.value.permanent is False  # a full disk can be freed
    assert list(tmp_path.iterdir()) == []


# --- file ----------------------------------------------------------------------------------


def test_file_transport_appends_to_an_existing_file(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    device.write_bytes(b"")
    printer = transport(f"file:{device}")
    assert isinstance(printer, FileTransport)
    printer.send(JOB)
    printer.send(JOB)
    assert device.read_bytes() == JOB + JOB


def test_missing_device_file_is_transient_and_not_created(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    with pytest.raises(PrinterError) as info:
        transport(f"file:{device}").send(JOB)
    assert info.value.permanent is False
    assert not device.exists()


def test_device_file_that_is_a_folder_is_permanent(tmp_path: Path) -> None:
    with pytest.raises(PrinterError) as info:
        transport(f"file:{tmp_path}").send(JOB)
    assert info.value.permanent is True


def test_stuck_device_file_times_out() -> None:
    read_end, write_end = os.pipe()  # nobody reads: the pipe fills like a stalled printer
    try:
        printer = transport(f"file:/dev/fd/{write_end}?timeout_s=0.3")
        started = time.monotonic()
        with pytest.raises(PrinterError, match="timed out") as info:
            printer.send(b"\0" * 1_000_000)
        assert time.monotonic() - started < 2
        assert info.value.permanent is False
    finally:
        os.close(read_end)
        os.close(write_end)


# --- serial, usb, cups ---------------------------------------------------------------------


def test_serial_over_a_pseudo_terminal() -> None:
    pytest.importorskip("serial")
    controller, device = os.openpty()
    try:
        printer = transport(f"serial:{os.ttyname(device)}:115200?timeout_s=1&status=off")
        printer.send(JOB)
        assert os.read(controller, 1024) == JOB
    finally:
        os.close(controller)
        os.close(device)


def test_missing_serial_device_is_transient(tmp_path: Path) -> None:
    pytest.importorskip("serial")
    with pytest.raises(PrinterError) as info:
        transport(f"serial:{tmp_path / 'ttyUSB9'}").send(JOB)
    assert info.value.permanent is False


# pyusb and pyserial are dependencies; pycups is not (CUPS printers are optional).
@pytest.mark.parametrize(("uri", "module"), [("cups:TM", "cups")])
def test_missing_library_is_a_clear_permanent_error(uri: str, module: str) -> None:
    try:
        __import__(module)
    except ImportError:
        pass
    else:
        pytest.skip(f"{module} is installed")
    with pytest.raises(PrinterError) as info:
        transport(uri)
    assert info.value.permanent is True
    assert "pip install" in str(info.value)


# --- the port itself -----------------------------------------------------------------------


def test_jobs_on_one_transport_do_not_interleave(fake_printer: Callable[..., FakePrinter]) -> None:
    fake = fake_printer()
    printer = transport(f"network:127.0.0.1:{fake.port}?status=off")
    assert isinstance(printer, NetworkTransport)
    jobs = [bytes([65 + i]) * 200_000 for i in range(4)]
    threads = [threading.Thread(target=printer.send, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    received = fake.wait_for(800_000)
    runs = [received[i : i + 200_000] for i in range(0, 800_000, 200_000)]
    assert sorted(runs) == sorted(jobs)


def test_status_never_raises() -> None:
    status = transport(f"file:/nonexistent/lp{os.getpid()}").status()
    assert status.online is False
    assert set(status.as_dict()) >= {"transport", "target", "online", "paper", "detail"}


def test_absent_usb_printer_is_a_printer_error() -> None:
    """With or without libusb on the machine: a clear PrinterError naming the printer."""
    with pytest.raises(PrinterError) as info:
        transport("usb:0x04b8:0x0202?timeout_s=1").send(JOB)
    assert "04b8:0202" in str(info.value)


def test_missing_libusb_is_a_permanent_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import usb.core
    from escpos.printer import Usb

    def no_backend(self: object, *args: object, **kwargs: object) -> None:
        raise usb.core.NoBackendError("No backend available")

    monkeypatch.setattr(Usb, "open", no_backend)
    with pytest.raises(PrinterError) as info:
        transport("usb:0x04b8:0x0202").send(JOB)
    assert info.value.permanent is True
    assert "libusb" in str(info.value)
