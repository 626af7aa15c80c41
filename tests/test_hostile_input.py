"""Hostile and broken input: every bad file ends with a `reports` status and one line on stderr
naming it, no traceback, and the good reports in the same folder still load.

One raw folder holds every case; the CLI runs on it once. HOSTILE lists each file with the status
it must get and a word its message must contain (the user has to understand what happened).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest
from report_files import GOLD, docx_file, html_page, pdf_file

ROOT = Path(__file__).resolve().parent.parent
BIG = 200 * 1024 * 1024


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def zip_bomb() -> bytes:
    """A .docx-looking archive of 0.2 MB whose document part unpacks to 210 MB of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            for _ in range(210):
                part.write(b"\0" * 2**20)
    return out.getvalue()


def scanned_pdf() -> bytes:
    """Two pages that are photographs of text: no text layer at all."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("L", (600, 800), 255)
    draw = ImageDraw.Draw(image)
    for y in range(60, 760, 24):
        draw.line((60, y, 540, y), fill=0, width=6)  # lines of "text", as a scanner sees them
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for _ in range(2):
        pdf.drawImage(ImageReader(image), 0, 0, *A4)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def encrypted_pdf(user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf_file("006"))).pages:
        writer.add_page(page)
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def many_pages_pdf(n: int) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(n):
        writer.add_blank_page(200, 200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def mixed_encodings() -> bytes:
    """Report 002 pieced together from a UTF-8 and a GBK copy, line by line."""
    lines = (GOLD / "002.txt").read_text("utf-8").splitlines(keepends=True)
    return b"".join(line.encode("utf-8" if i % 2 else "gb18030") for i, line in enumerate(lines))


OFF_TOPIC = (
    "关于2024年春节假期景区开放的通知\n各景区：春节期间全市12个A级景区正常开放，预计接待游客35万人次，"
    "旅游收入1.2亿元。请各景区做好安全保障工作，游客服务中心电话0934-1234567。\n"
).encode()
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"""


W = b"http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _with_document_xml(xml: bytes) -> bytes:
    """Report 002 as a .docx whose document part is replaced by `xml`."""
    src = zipfile.ZipFile(io.BytesIO(docx_file("002")))
    return _zip({n: (xml if n == "word/document.xml" else src.read(n)) for n in src.namelist()})


# file name -> (bytes, status it must get, a word of its message); None bytes: made by the test
HOSTILE: dict[str, tuple[bytes | None, str, str]] = {
    "empty.txt": (b"", "empty", "empty"),
    "empty_too.txt": (b"", "empty", "empty"),  # identical unreadable bytes twice
    "blank.txt": (b" \r\n\t\n", "empty", "empty"),
    "binary.txt": (bytes(range(256)) * 64, "binary", "binary"),
    "program.txt": (b"\x7fELF\x02\x01\x01" + bytes(4000), "binary", "binary"),
    "truncated.pdf": (pdf_file("002")[:3000], "corrupt", "truncated"),
    "garbage.pdf": (b"%PDF-1.7\n" + bytes(range(256)) * 20 + b"\n%%EOF\n", "corrupt", "damaged"),
    "renamed.pdf": (bytes(range(256)) * 8, "corrupt", "do not start like"),
    "scanned.pdf": (None, "scanned_pdf", "OCR is not supported"),
    "locked.pdf": (None, "encrypted", "password"),
    "thousands_of_pages.pdf": (None, "too_large", "pages"),
    "not_a_zip.docx": (bytes(range(256)) * 8, "corrupt", "do not start like"),
    "bomb.docx": (None, "too_large", "zip bomb"),
    "workbook.docx": (_zip({"xl/workbook.xml": b"<workbook/>"}), "unsupported_format", "Excel"),
    "archive.docx": (_zip({"a.txt": b"hello"}), "unsupported_format", "not a Word"),
    "broken_xml.docx": (None, "corrupt", "damaged"),
    "billion_laughs.docx": (None, "corrupt", "damaged"),  # lxml refuses entity expansion
    "legacy.doc": (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(5000),
        "unsupported_format",
        ".docx",
    ),
    "report.rtf": (rb"{\rtf1\ansi\ansicpg936 \'b7\'a8\'d6\'ce}", "unsupported_format", ".docx"),
    "photo.png": (b"\x89PNG\r\n\x1a\n" + bytes(2000), "unsupported_format", "OCR"),
    "huge.txt": (None, "too_large", "limit"),
    "huge_too.txt": (None, "too_large", "limit"),
    "script_only.html": (b"<html><body><script>var a=1;</script></body></html>", "empty", "text"),
    "off_topic.txt": (OFF_TOPIC, "not_rule_of_law_report", "--keep-off-topic"),
    "copy_of_001.txt": ((GOLD / "001.txt").read_bytes(), "duplicate", "001.txt"),
    "001_gbk.txt": ((GOLD / "001.txt").read_text("utf-8").encode("gb18030"), "duplicate", "001"),
    "001_page.html": (html_page("001"), "duplicate", "001"),
    "link_out.txt": (None, "outside_raw", "outside"),
    "link_device.txt": (None, "outside_raw", "outside"),
    "mixed.txt": (mixed_encodings(), "ok", ""),
    "001_revised.txt": (
        (GOLD / "001.txt").read_text("utf-8").replace("教职工5583人", "教职工5585人").encode(),
        "ok",
        "",
    ),
    "figure_bomb.txt": ("法治依法。".encode() + b"1a" * 400_000, "ok", ""),
    "deep.html": (
        b"<html><body>" + b"<div>" * 5000 + "法治依法".encode() + b"</body></html>",
        "",
        "",
    ),
}
SECRET = "某县司法局依法行政报告（不在数据目录中）：全年办理行政复议案件12件，依法治理成效明显。\n"
GOOD = ["001", "004", "005"]  # 005 is given 004's year in sources.csv: two claims, both kept


@pytest.fixture(scope="module")
def hostile_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess, Path]:
    base = tmp_path_factory.mktemp("hostile")
    raw = base / "raw"
    raw.mkdir()
    for stem in GOOD:
        (raw / f"{stem}.txt").write_bytes((GOLD / f"{stem}.txt").read_bytes())
    made = {
        "scanned.pdf": scanned_pdf,
        "locked.pdf": lambda: encrypted_pdf("secret"),
        "thousands_of_pages.pdf": lambda: many_pages_pdf(2500),
        "bomb.docx": zip_bomb,
        "billion_laughs.docx": lambda: _with_document_xml(BILLION_LAUGHS),
        "broken_xml.docx": lambda: _with_document_xml(
            b"<w:document xmlns:w='%s'><w:body><w:p>" % W
        ),
    }
    for name, (data, _, _) in HOSTILE.items():
        if data is not None:
            (raw / name).write_bytes(data)
        elif name in made:
            (raw / name).write_bytes(made[name]())
    for name, size in (("huge.txt", BIG), ("huge_too.txt", BIG)):  # same size: same pseudo-id
        with open(raw / name, "wb") as fh:
            fh.truncate(size)  # sparse: 200 MB on paper, nothing on disk
    secret = base / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    (raw / "link_out.txt").symlink_to(secret)
    (raw / "link_device.txt").symlink_to("/dev/zero")
    (raw / "sources.csv").write_text(
        "file,body,report_year,source_url\n005.txt,,2023,\n../secret.txt,白云区人民政府,2020,\n"
        "/etc/passwd,白云区人民政府,2020,\n",
        encoding="utf-8",
    )
    db = base / "processed" / "warehouse.duckdb"
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--raw", str(raw), "--db", str(db),
         "--figures", str(base / "processed" / "figures"), "--no-notebooks"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    return proc, db


def _reports(db: Path) -> dict[str, dict]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        frame = con.execute("select * from reports").df()
    finally:
        con.close()
    return {Path(r["source_file"]).name: r for r in frame.to_dict("records")}


def test_the_run_survives_every_hostile_file(hostile_run) -> None:
    proc, db = hostile_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    reports = _reports(db)
    assert reports["001.txt"]["status"] == "ok"
    con = duckdb.connect(str(db), read_only=True)
    n = con.execute(
        "select count(*) from mentions m join reports r using (report_id) "
        "where r.source_file like '%/001.txt'"
    ).fetchone()[0]
    con.close()
    assert n == 21  # all of 001's figures, loaded once despite three more copies


@pytest.mark.parametrize("name", sorted(n for n, v in HOSTILE.items() if v[1] not in ("ok", "")))
def test_each_bad_file_gets_a_status_and_one_line_naming_it(hostile_run, name: str) -> None:
    proc, db = hostile_run
    _, status, word = HOSTILE[name]
    row = _reports(db)[name]
    assert row["status"] == status, row["message"]
    assert word in row["message"]
    lines = [line for line in proc.stderr.splitlines() if f"/{name}: " in line]
    assert len(lines) == 1, lines
    assert status in lines[0] or "duplicate" in lines[0]


def test_mixed_encodings_decode_line_by_line(hostile_run) -> None:
    _, db = hostile_run
    row = _reports(db)["mixed.txt"]
    assert row["status"] == "ok"
    assert row["encoding"] == "mixed utf-8 and gb18030"
    con = duckdb.connect(str(db), read_only=True)
    text = con.execute(
        "select text from report_texts where report_id = ?", [row["report_id"]]
    ).fetchone()[0]
    con.close()
    assert text == (GOLD / "002.txt").read_text("utf-8").replace("\r\n", "\n")


def test_thousands_of_bare_tokens_do_not_stall_the_run(hostile_run) -> None:
    # 800 kB of "1a1a..." used to take minutes in the mask (quadratic); it must simply load
    assert _reports(hostile_run[1])["figure_bomb.txt"]["status"] == "ok"


def test_deeply_nested_page_does_not_break_the_run(hostile_run) -> None:
    row = _reports(hostile_run[1])["deep.html"]
    assert row["status"] in ("ok", "not_rule_of_law_report", "empty", "corrupt")


def test_two_reports_claiming_one_body_and_year_are_both_kept_and_flagged(hostile_run) -> None:
    proc, db = hostile_run
    reports = _reports(db)
    for this, other in (("004.txt", "005.txt"), ("005.txt", "004.txt")):
        row = reports[this]
        assert row["status"] == "ok"
        assert (row["body"], row["report_year"]) == ("白云区人民政府", 2023)
        assert (
            f"same body and year as {row['source_file'].rsplit('/', 1)[0]}/{other}"
            in row["message"]
        )
        assert any(
            line.startswith(row["source_file"]) and "flagged" in line
            for line in proc.stderr.splitlines()
        )


def test_duplicates_in_other_formats_point_at_the_kept_file(hostile_run) -> None:
    reports = _reports(hostile_run[1])
    kept = reports["001.txt"]["source_file"]
    for name in ("copy_of_001.txt", "001_gbk.txt", "001_page.html"):
        assert reports[name]["duplicate_of"] == kept
    assert reports["001_page.html"]["format"] == "html"


def test_nothing_outside_the_raw_folder_is_read(hostile_run) -> None:
    proc, db = hostile_run
    reports = _reports(db)
    assert "secret.txt" not in reports  # the link's target is not read under any name
    assert reports["link_out.txt"]["n_chars"] == 0
    con = duckdb.connect(str(db), read_only=True)
    texts = con.execute("select text from report_texts").fetchall()
    con.close()
    assert not any("不在数据目录" in t for (t,) in texts)
    # sources.csv rows naming ../secret.txt and /etc/passwd are refused, not followed
    assert "'../secret.txt' points outside" in proc.stderr
    assert "'/etc/passwd' points outside" in proc.stderr


def test_off_topic_figures_are_kept_only_when_asked(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "001.txt").write_bytes((GOLD / "001.txt").read_bytes())
    (raw / "tourism.txt").write_bytes(OFF_TOPIC)
    counts = {}
    for flag in ([], ["--keep-off-topic"]):
        db = tmp_path / f"w{len(flag)}.duckdb"
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline", "run", "--raw", str(raw), "--db", str(db),
             "--figures", str(tmp_path / "fig"), "--no-notebooks", "--quiet", *flag],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        con = duckdb.connect(str(db), read_only=True)
        status, n = con.execute(
            "select r.status, count(m.mention_id) from reports r left join mentions m "
            "using (report_id) where r.source_file like '%tourism.txt' group by 1"
        ).fetchone()
        con.close()
        assert status == "not_rule_of_law_report"
        counts[bool(flag)] = n
    assert counts == {False: 0, True: 3}  # 12个, 35万人次, 1.2亿元 (the phone number is not one)


def test_file_names_that_are_not_utf8_or_hold_a_newline(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "001.txt").write_bytes((GOLD / "001.txt").read_bytes())
    with open(os.fsencode(raw) + b"/bad\xff.txt", "wb"):
        pass
    (raw / "two\nlines.txt").write_bytes(b"")
    db = tmp_path / "w.duckdb"
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--raw", str(raw), "--db", str(db),
         "--figures", str(tmp_path / "fig"), "--no-notebooks", "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    names = set(_reports(db))
    assert {"bad\ufffd.txt", "two\\nlines.txt"} <= names
    assert len([line for line in proc.stderr.splitlines() if "empty" in line]) == 2


def test_a_revised_version_with_other_figures_is_kept_and_flagged(hostile_run) -> None:
    # nearly the same text, one figure corrected: not a duplicate (no figure is dropped because
    # another file looks like it), but both carry a message naming the other
    reports = _reports(hostile_run[1])
    revised, original = reports["001_revised.txt"], reports["001.txt"]
    assert revised["status"] == original["status"] == "ok"
    assert revised["message"].startswith(f"same body and year as {original['source_file']}")
    assert revised["source_file"] in original["message"]
