import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from envelopes.documents.uploads import check_uploads


def docx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "content_type", "stored_name"),
    [
        ("a.pdf", b"%PDF-1.7 ...", "application/pdf", "a.pdf"),
        (
            "letter.docx",
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "letter.docx",
        ),
        ("page.html", b"<html><body><p>Hi</p></body></html>", "text/html", "page.html"),
        ("notes.txt", b"plain words", "text/plain", "notes.txt"),
        ("scan.PDF.exe", b"%PDF-1.4 really a pdf", "application/pdf", "scan.PDF.pdf"),
    ],
)
def test_types_are_recognised_by_content(name, content, content_type, stored_name):
    [checked] = check_uploads([SimpleUploadedFile(name, content)])
    assert (checked.content_type, checked.name, checked.size) == (
        content_type,
        stored_name,
        len(content),
    )
    assert len(checked.sha256) == 64


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "is not a PDF"),
        (b"PK\x03\x04 not really a zip", "is not a PDF"),
        (b"", "is empty"),
    ],
)
def test_other_content_is_refused_whatever_the_name(content, message):
    with pytest.raises(ValidationError, match=message):
        check_uploads([SimpleUploadedFile("contract.pdf", content)])


def test_size_and_count_limits(settings):
    settings.ENVELOPES_MAX_UPLOAD_BYTES = 10
    with pytest.raises(ValidationError, match="the limit is"):
        check_uploads([SimpleUploadedFile("a.pdf", b"%PDF-" + b"x" * 20)])
    settings.ENVELOPES_MAX_UPLOADS = 1
    settings.ENVELOPES_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(ValidationError, match="at most 1 documents"):
        check_uploads(
            [SimpleUploadedFile("a.pdf", b"%PDF-1"), SimpleUploadedFile("b.pdf", b"%PDF-1")]
        )
