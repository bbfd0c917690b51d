"""Phone XML: each vendor's documented element names, accents kept, text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.directory.phones import RESULTS, View, _document, render_input, render_results
from autocom.directory import Entry, ExtensionDid, Number, NumberPlan, Page

PLAN = NumberPlan(line_prefix="0", extension_dids=(ExtensionDid("+33388", 6),))
HELENE = Entry(
    "hr", "uid=h", "Lefèvre", "Hélène",
    (Number("office", "+33 3 88 40 00 05", "+33388400005"),
     Number("mobile", "06 12 34 56 78", "+33612345678")),
    "Bibliothèque", email="h@example.org",
)  # fmt: skip
EVIL = Entry(
    "hr", "uid=e", '<Evil & "Co">', "]]>\x01\x1f",
    (Number("office", "0388400006", "+33388400006"),), "R&D </Name>",
)  # fmt: skip
PAGE = Page((HELENE, EVIL), offset=16, limit=16, more=True)
VIEW = View("http://pbx:9088/directory/{v}", "lef & co", "Annuaire é", PLAN)


def render(vendor: str, page: Page = PAGE) -> ET.Element:
    view = View(VIEW.base_url.format(v=vendor), VIEW.term, VIEW.title, PLAN)
    body, content_type = render_results(vendor, page, view)
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert "charset=utf-8" in content_type
    root = ET.fromstring(body)
    return root


def texts(root: ET.Element, path: str) -> list[str]:
    return [e.text or "" for e in root.iterfind(path)]


def test_yealink() -> None:
    root = render("yealink")
    assert root.tag == "YealinkIPPhoneDirectory"
    entries = root.findall("DirectoryEntry")
    assert texts(entries[0], "Name") == ["Lefèvre Hélène - Bibliothèque"]
    assert texts(entries[0], "Telephone") == ["400005", "00612345678"]
    assert texts(entries[1], "Name") == ['<Evil & "Co"> ]]> - R&D </Name>']


def test_cisco() -> None:
    root = render("cisco")
    assert root.tag == "CiscoIPPhoneDirectory"
    assert [c.tag for c in root][:2] == ["Title", "Prompt"]
    names = texts(root, "DirectoryEntry/Name")
    assert names[0] == "Lefèvre Hélène - Bibliothèque"
    assert names[1] == "Lefèvre Hélène (Mobile)"
    assert all(len(n) <= 32 for n in names)
    assert texts(root, "DirectoryEntry/Telephone") == ["400005", "00612345678", "400006"]
    keys = {k.findtext("Name"): k.findtext("URL") for k in root.findall("SoftKeyItem")}
    assert keys["Dial"] == "SoftKey:Dial" and keys["Exit"] == "SoftKey:Exit"
    query = parse_qs(urlsplit(keys["Suiv."] or "").query)
    assert query == {"term": ["lef & co"], "offset": ["18"]}
    assert parse_qs(urlsplit(keys["Prec."] or "").query) == {"term": ["lef & co"]}
    for key in root.findall("SoftKeyItem"):
        assert [c.tag for c in key] == ["Name", "URL", "Position"]


def test_polycom_is_xhtml() -> None:
    root = render("polycom")
    ns = "{http://www.w3.org/1999/xhtml}"
    assert root.tag == f"{ns}html"
    links = root.findall(f"{ns}body/{ns}ol/{ns}li/{ns}a")
    hrefs = [a.get("href") for a in links]
    assert "tel://400005" in hrefs and "tel://00612345678" in hrefs
    assert any((a.text or "").startswith("Lefèvre Hélène") for a in links)


def test_snom() -> None:
    root = render("snom")
    assert root.tag == "SnomIPPhoneDirectory"
    assert texts(root, "DirectoryEntry/Telephone") == ["400005", "00612345678", "400006"]
    for key in root.findall("SoftKeyItem"):
        assert [c.tag for c in key] == ["Name", "Label", "URL"]


def test_aastra() -> None:
    root = render("aastra")
    assert root.tag == "AastraIPPhoneTextMenu"
    assert root.get("destroyOnExit") == "yes"
    uris = texts(root, "MenuItem/URI")
    assert "Dial:400005" in uris and "Dial:00612345678" in uris
    assert uris[0].startswith("http://pbx:9088/directory/aastra?")  # previous page
    assert "offset=18" in uris[-1]  # next page


def test_fanvil() -> None:
    root = render("fanvil")
    assert root.tag == "PhoneBook"
    first = root.find("DirectoryEntry")
    assert first is not None
    assert [c.tag for c in first] == ["Name", "Telephone", "Mobile", "Other", "Ring", "Group"]
    assert first.findtext("Telephone") == "400005" and first.findtext("Mobile") == "00612345678"
    assert first.findtext("Group") == "Bibliothèque"


def test_gigaset() -> None:
    root = render("gigaset")
    assert root.tag == "list"
    assert root.attrib == {
        "response": "get_list", "type": "pr", "total": "19", "first": "17", "last": "18"
    }  # fmt: skip
    first = root.find("entry")
    assert first is not None
    assert first.findtext("ln") == "Lefèvre" and first.findtext("fn") == "Hélène"
    assert first.findtext("hm") == "400005" and first.findtext("mb") == "00612345678"


def test_grandstream() -> None:
    root = render("grandstream", Page((HELENE,), 0, 500, False, 1))
    assert root.tag == "AddressBook"
    contact = root.find("Contact")
    assert contact is not None
    assert contact.findtext("LastName") == "Lefèvre" and contact.findtext("FirstName") == "Hélène"
    phones = contact.findall("Phone")
    assert [p.get("type") for p in phones] == ["Work", "Mobile"]
    assert [p.findtext("phonenumber") for p in phones] == ["400005", "00612345678"]
    assert [p.findtext("accountindex") for p in phones] == ["0", "0"]


@pytest.mark.parametrize("vendor", sorted(RESULTS))
def test_every_vendor_keeps_accents_as_utf8_and_drops_control_characters(vendor: str) -> None:
    view = View("http://pbx/directory/" + vendor, "", "T", PLAN)
    body, _ = render_results(vendor, PAGE, view)
    assert "Lefèvre".encode() in body
    assert b"\x01" not in body and b"\x1f" not in body
    ET.fromstring(body)  # well-formed whatever the names hold


@pytest.mark.parametrize("vendor", sorted(RESULTS))
def test_an_empty_page_is_a_valid_document(vendor: str) -> None:
    ET.fromstring(render_results(vendor, Page((), 0, 16, False, 0), VIEW)[0])


def test_input_screens() -> None:
    view = View("http://pbx/directory/cisco", "", "Annuaire", PLAN)
    tags = {
        "cisco": ("CiscoIPPhoneInput", "InputItem/QueryStringParam"),
        "aastra": ("AastraIPPhoneInputScreen", "Parameter"),
        "snom": ("SnomIPPhoneInput", "InputItem/InputToken"),
        "fanvil": ("FanvilIPPhoneInputScreen", "InputField/Parameter"),
    }
    for vendor, (root_tag, field) in tags.items():
        rendered = render_input(vendor, view)
        assert rendered is not None
        root = ET.fromstring(rendered[0])
        assert root.tag == root_tag and root.find(field) is not None
    snom = render_input("snom", view)
    assert snom is not None and b"?term=__X__</URL>" in snom[0]
    assert render_input("yealink", view) is None
    polycom = render_input("polycom", view)
    assert polycom is not None and b'name="term"' in polycom[0]


_xml_text = st.text(alphabet=st.sampled_from("ab é&<>\"'\r\n\t]]>\U0001f600"), max_size=8)


@settings(max_examples=150)
@given(_xml_text, _xml_text, _xml_text, st.booleans())
def test_documents_are_what_elementtree_writes(
    text: str, attribute: str, tail: str, empty: bool
) -> None:
    """The hand-written serializer writes, byte for byte, what ET.tostring writes."""
    root = ET.Element("Root", {"a": attribute, "b": "x"})
    child = ET.SubElement(root, "Item", {"c": attribute})
    child.text = None if empty else text
    child.tail = tail
    ET.SubElement(root, "Empty")
    expected = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    assert _document(root) == b'<?xml version="1.0" encoding="UTF-8"?>\n' + expected
