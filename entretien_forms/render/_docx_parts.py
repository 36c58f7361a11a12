"""The fixed parts of every .docx we write, the escaping of what goes into them, and the zip.

Everything here is plain WordprocessingML written by hand: python-docx
cannot make content controls, and building strings once is what keeps a
render under a couple of milliseconds. Element order follows the ECMA-376
schemas, because Word reports a damaged file for an element out of order
where LibreOffice says nothing.

The package is zipped here too. ``zipfile`` compresses every part on every
write; a form is mostly constant XML, so constant pieces are compressed once
(as deflate blocks that end on a byte boundary) and an issued file only
appends the few bytes that change, as stored blocks, to those. Measured
(``python bench/bench_forms.py``): the whole .docx render runs 3.2 times as
fast as ``zipfile``'s zip step alone on the same parts (3,050 against 960
forms/s on one core), so the writer stays. It only writes (no untrusted
input is parsed here), and every test reads its output back with ``zipfile``
and LibreOffice.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

# What a reader relies on (namespaces, part names, content types) is the forms'
# contract; the names are re-exported here for the renderers.
from entretien_forms.forms.contract import APP as APP
from entretien_forms.forms.contract import CONTENT_TYPES as CONTENT_TYPES
from entretien_forms.forms.contract import CT_APP as CT_APP
from entretien_forms.forms.contract import CT_CUSTOM as CT_CUSTOM
from entretien_forms.forms.contract import CT_DOCUMENT as CT_DOCUMENT
from entretien_forms.forms.contract import CUSTOM as CUSTOM
from entretien_forms.forms.contract import DOCUMENT as DOCUMENT
from entretien_forms.forms.contract import NS_CT as NS_CT
from entretien_forms.forms.contract import NS_CUSTOM as NS_CUSTOM
from entretien_forms.forms.contract import NS_MC as NS_MC
from entretien_forms.forms.contract import NS_VT as NS_VT
from entretien_forms.forms.contract import NS_W as NS_W
from entretien_forms.forms.contract import NS_W14 as NS_W14
from entretien_forms.forms.contract import PACKAGE_RELS as PACKAGE_RELS
from entretien_forms.forms.contract import PKG_REL as PKG_REL
from entretien_forms.forms.contract import REL as REL
from entretien_forms.forms.contract import REL_CUSTOM as REL_CUSTOM
from entretien_forms.forms.contract import xml_chars as xml_chars

NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
NS_PIC = "http://schemas.openxmlformats.org/drawingml/2006/picture"
NS_CORE = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
_WML = "application/vnd.openxmlformats-officedocument.wordprocessingml"

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# The namespaces of every WordprocessingML root we write. w14 (Word 2010
# check boxes) is declared ignorable so that older readers skip it.
WML_NAMESPACES = (
    f'xmlns:w="{NS_W}" xmlns:r="{NS_R}" xmlns:w14="{NS_W14}" xmlns:mc="{NS_MC}" '
    f'xmlns:wp="{NS_WP}" xmlns:a="{NS_A}" xmlns:pic="{NS_PIC}" mc:Ignorable="w14"'
)

# Part names, shared by the relationships, the content types and the zip (the
# document, custom properties, app properties and content types come from the contract).
STYLES = "word/styles.xml"
SETTINGS = "word/settings.xml"
HEADER = "word/header1.xml"
FOOTER = "word/footer1.xml"
QR_IMAGE = "word/media/qr.png"
CORE = "docProps/core.xml"
HEADER_RELS = "word/_rels/header1.xml.rels"
DOCUMENT_RELS = "word/_rels/document.xml.rels"
# Relationship ids used by document.xml and header1.xml.
HEADER_RID = "rId3"
FOOTER_RID = "rId4"
QR_RID = "rId1"


def text(value: str) -> str:
    """``value`` escaped for element content (``w:t``), characters XML forbids dropped."""
    return xml_chars(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attr(value: str) -> str:
    """``value`` escaped for a double-quoted attribute, on one line.

    Line breaks and tabs become spaces: a parser would turn them into spaces
    anyway, and Word shows attributes (aliases, list items) on one line.
    """
    for blank in ("\r\n", "\n", "\r", "\t"):
        value = value.replace(blank, " ")
    return text(value).replace('"', "&quot;")


# --------------------------------------------------------------------------- fixed parts

CONTENT_TYPES_XML = (
    XML_DECLARATION + f'<Types xmlns="{NS_CT}">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="png" ContentType="image/png"/>'
    f'<Override PartName="/{DOCUMENT}" ContentType="{CT_DOCUMENT}"/>'
    f'<Override PartName="/{STYLES}" ContentType="{_WML}.styles+xml"/>'
    f'<Override PartName="/{SETTINGS}" ContentType="{_WML}.settings+xml"/>'
    f'<Override PartName="/{HEADER}" ContentType="{_WML}.header+xml"/>'
    f'<Override PartName="/{FOOTER}" ContentType="{_WML}.footer+xml"/>'
    f'<Override PartName="/{CORE}" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    f'<Override PartName="/{APP}" ContentType="{CT_APP}"/>'
    f'<Override PartName="/{CUSTOM}" ContentType="{CT_CUSTOM}"/>'
    "</Types>"
)

PACKAGE_RELS_XML = (
    XML_DECLARATION + f'<Relationships xmlns="{PKG_REL}">'
    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="{DOCUMENT}"/>'
    f'<Relationship Id="rId2" Type="{PKG_REL}/metadata/core-properties" Target="{CORE}"/>'
    f'<Relationship Id="rId3" Type="{REL}/extended-properties" Target="{APP}"/>'
    f'<Relationship Id="rId4" Type="{REL_CUSTOM}" Target="{CUSTOM}"/>'
    "</Relationships>"
)

DOCUMENT_RELS_XML = (
    XML_DECLARATION + f'<Relationships xmlns="{PKG_REL}">'
    f'<Relationship Id="rId1" Type="{REL}/styles" Target="styles.xml"/>'
    f'<Relationship Id="rId2" Type="{REL}/settings" Target="settings.xml"/>'
    f'<Relationship Id="{HEADER_RID}" Type="{REL}/header" Target="header1.xml"/>'
    f'<Relationship Id="{FOOTER_RID}" Type="{REL}/footer" Target="footer1.xml"/>'
    "</Relationships>"
)

HEADER_RELS_XML = (
    XML_DECLARATION + f'<Relationships xmlns="{PKG_REL}">'
    f'<Relationship Id="{QR_RID}" Type="{REL}/image" Target="media/qr.png"/>'
    "</Relationships>"
)

APP_XML = (
    XML_DECLARATION
    + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
    f' xmlns:vt="{NS_VT}">'
    "<Application>entretien-forms</Application><DocSecurity>0</DocSecurity>"
    "</Properties>"
)

# No w:documentProtection: content controls lock themselves (w:lock), and an
# enforced protection would stop a manager from adding a line where needed.
# No w:updateFields either: Word would ask a question on every opening.
SETTINGS_XML = (
    XML_DECLARATION + f"<w:settings {WML_NAMESPACES}>"
    '<w:zoom w:percent="100"/>'
    '<w:defaultTabStop w:val="708"/>'
    '<w:hyphenationZone w:val="425"/>'
    '<w:characterSpacingControl w:val="doNotCompress"/>'
    "<w:compat>"
    '<w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word"'
    ' w:val="15"/>'
    "</w:compat>"
    '<w:themeFontLang w:val="fr-FR"/>'
    '<w:decimalSymbol w:val=","/>'
    '<w:listSeparator w:val=";"/>'
    "</w:settings>"
)

# Colours: dark blue for titles, greys for what helps without being an answer.
ACCENT = "1F3864"
HELP_GREY = "595959"
BOX_GREY = "A6A6A6"
HEADER_FILL = "D9E2F3"  # header row of form tables
ROW_LABEL_FILL = "F2F2F2"  # row labels (skill names) and locked values

# Style ids used by the renderer.
TABLE_STYLE = "TableauFormulaire"
PLACEHOLDER_STYLE = "PlaceholderText"
REQUIRED_STYLE = "Obligatoire"


def _frame(color: str = BOX_GREY) -> str:
    """A light frame around a paragraph: the place to write, also on paper."""
    side = f'w:val="single" w:sz="4" w:space="4" w:color="{color}"'
    return f"<w:pBdr><w:top {side}/><w:left {side}/><w:bottom {side}/><w:right {side}/></w:pBdr>"


def _paragraph_style(
    style_id: str, name: str, ppr: str = "", rpr: str = "", *, based_on: str = "Normal"
) -> str:
    return (
        f'<w:style w:type="paragraph" w:customStyle="1" w:styleId="{style_id}">'
        f'<w:name w:val="{name}"/><w:basedOn w:val="{based_on}"/><w:qFormat/>'
        f"<w:pPr>{ppr}</w:pPr><w:rPr>{rpr}</w:rPr></w:style>"
    )


def borders(tag: str, color: str = "808080", sides: Iterable[str] = ()) -> str:
    """``w:tblBorders`` or ``w:tcBorders`` with single lines, in schema order."""
    names = tuple(sides) or ("top", "left", "bottom", "right", "insideH", "insideV")
    return (
        f"<w:{tag}>"
        + "".join(
            f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="{color}"/>' for side in names
        )
        + f"</w:{tag}>"
    )


TABLE_BORDERS = borders("tblBorders")
_SMALL = '<w:sz w:val="16"/><w:szCs w:val="16"/>'

STYLES_XML = (
    XML_DECLARATION + f"<w:styles {WML_NAMESPACES}>"
    "<w:docDefaults><w:rPrDefault><w:rPr>"
    '<w:rFonts w:ascii="Arial" w:eastAsia="Arial" w:hAnsi="Arial" w:cs="Arial"/>'
    '<w:sz w:val="20"/><w:szCs w:val="20"/>'
    '<w:lang w:val="fr-FR" w:eastAsia="en-US" w:bidi="ar-SA"/>'
    "</w:rPr></w:rPrDefault>"
    '<w:pPrDefault><w:pPr><w:spacing w:after="60" w:line="259" w:lineRule="auto"/></w:pPr>'
    "</w:pPrDefault></w:docDefaults>"
    # Word's own styles, under their English names so that Word translates
    # them ("heading 1" shows as « Titre 1 » in a French Word).
    '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/>'
    "<w:qFormat/></w:style>"
    '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
    '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/>'
    "<w:unhideWhenUsed/></w:style>"
    '<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/>'
    '<w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/><w:tblPr>'
    '<w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/>'
    '<w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/>'
    '<w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/>'
    '<w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="10"/><w:qFormat/>'
    '<w:pPr><w:spacing w:after="120"/></w:pPr>'
    f'<w:rPr><w:b/><w:color w:val="{ACCENT}"/><w:sz w:val="36"/><w:szCs w:val="36"/></w:rPr>'
    "</w:style>"
    '<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/>'
    '<w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="9"/><w:qFormat/>'
    "<w:pPr><w:keepNext/><w:keepLines/><w:pBdr>"
    f'<w:bottom w:val="single" w:sz="6" w:space="1" w:color="{ACCENT}"/></w:pBdr>'
    '<w:spacing w:before="360" w:after="120"/><w:outlineLvl w:val="0"/></w:pPr>'
    f'<w:rPr><w:b/><w:color w:val="{ACCENT}"/><w:sz w:val="28"/><w:szCs w:val="28"/></w:rPr>'
    "</w:style>"
    '<w:style w:type="paragraph" w:styleId="Header"><w:name w:val="header"/>'
    '<w:basedOn w:val="Normal"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/>'
    '<w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="Footer"><w:name w:val="footer"/>'
    '<w:basedOn w:val="Normal"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/>'
    '<w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>'
    f'<w:rPr><w:color w:val="{HELP_GREY}"/>{_SMALL}</w:rPr>'
    "</w:style>"
    f'<w:style w:type="character" w:styleId="{PLACEHOLDER_STYLE}">'
    '<w:name w:val="Placeholder Text"/>'
    '<w:basedOn w:val="DefaultParagraphFont"/><w:uiPriority w:val="99"/><w:semiHidden/>'
    '<w:rPr><w:color w:val="808080"/></w:rPr></w:style>'
    f'<w:style w:type="character" w:customStyle="1" w:styleId="{REQUIRED_STYLE}">'
    '<w:name w:val="Obligatoire"/><w:basedOn w:val="DefaultParagraphFont"/>'
    '<w:rPr><w:b/><w:color w:val="C00000"/></w:rPr></w:style>'
    # Ours, with French names: they show in Word's style list.
    + _paragraph_style(
        "Identite",
        "Identité",
        _frame() + f'<w:shd w:val="clear" w:color="auto" w:fill="{ROW_LABEL_FILL}"/>'
        '<w:spacing w:before="60" w:after="120" w:line="300" w:lineRule="auto"/>'
        '<w:ind w:left="113" w:right="113"/>',
    )
    + _paragraph_style(
        "Mention",
        "Mention",
        '<w:spacing w:after="40" w:line="240" w:lineRule="auto"/>',
        f'<w:color w:val="{HELP_GREY}"/>{_SMALL}',
    )
    + _paragraph_style(
        "Consigne",
        "Consigne",
        '<w:keepNext/><w:spacing w:after="120"/>',
        '<w:i/><w:iCs/><w:color w:val="404040"/>',
    )
    + _paragraph_style(
        "Libelle",
        "Libellé",
        '<w:keepNext/><w:keepLines/><w:spacing w:before="160" w:after="40"/>',
        "<w:b/><w:bCs/>",
    )
    + _paragraph_style(
        "Aide",
        "Aide",
        '<w:keepNext/><w:spacing w:after="40" w:line="240" w:lineRule="auto"/>',
        f'<w:color w:val="{HELP_GREY}"/>{_SMALL}',
    )
    + _paragraph_style(
        "Champ",
        "Champ",
        _frame() + '<w:spacing w:before="40" w:after="120"/><w:ind w:left="113" w:right="113"/>',
    )
    + _paragraph_style(
        "ChampVerrouille",
        "Champ verrouillé",
        f'<w:shd w:val="clear" w:color="auto" w:fill="{ROW_LABEL_FILL}"/>',
        based_on="Champ",
    )
    + _paragraph_style("Option", "Option", '<w:spacing w:after="20"/><w:ind w:left="284"/>')
    + _paragraph_style(
        "Cellule",
        "Cellule",
        '<w:spacing w:before="40" w:after="40" w:line="240" w:lineRule="auto"/>',
        '<w:sz w:val="18"/><w:szCs w:val="18"/>',
    )
    + _paragraph_style(
        "EnTeteTableau", "En-tête de tableau", "<w:keepNext/>", "<w:b/><w:bCs/>", based_on="Cellule"
    )
    + _paragraph_style(
        "Reponse",
        "Réponse",
        '<w:spacing w:before="40" w:after="40" w:line="300" w:lineRule="auto"/>',
    )
    + _paragraph_style(
        "Espacement",
        "Espacement",
        '<w:spacing w:after="0" w:line="160" w:lineRule="exact"/>',
        '<w:sz w:val="8"/><w:szCs w:val="8"/>',
    )
    + f'<w:style w:type="table" w:customStyle="1" w:styleId="{TABLE_STYLE}">'
    '<w:name w:val="Tableau du formulaire"/><w:basedOn w:val="TableNormal"/>'
    '<w:uiPriority w:val="59"/><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/>'
    f"</w:pPr><w:tblPr>{TABLE_BORDERS}</w:tblPr>"
    '<w:tblStylePr w:type="firstRow"><w:rPr><w:b/></w:rPr><w:tcPr>'
    f'<w:shd w:val="clear" w:color="auto" w:fill="{HEADER_FILL}"/></w:tcPr></w:tblStylePr>'
    "</w:style>"
    "</w:styles>"
)


# --------------------------------------------------------------------------- zip


@dataclass(frozen=True)
class ZipEntry:
    """One part as it goes into the zip: its bytes already compressed (or not)."""

    name: str
    data: bytes
    crc: int
    size: int  # uncompressed
    method: int  # 8: deflate, 0: stored


# The deflate pieces below are raw (no zlib header). A piece compressed on its
# own and ended by a sync flush finishes on a byte boundary without the
# "final block" bit, so pieces can follow each other in one stream; the
# stream then ends with an empty final block (RFC 1951, section 3.2.3).
FINAL_BLOCK = b"\x03\x00"
_STORED_MAX = 0xFFFF


def deflate_piece(raw: bytes, level: int = 9) -> bytes:
    """``raw`` as non-final deflate blocks, to be followed by more blocks."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(raw) + compressor.flush(zlib.Z_SYNC_FLUSH)


def stored_piece(raw: bytes) -> bytes:
    """``raw`` as non-final stored (uncompressed) deflate blocks: no compressor to set up."""
    out = []
    for start in range(0, len(raw), _STORED_MAX):
        chunk = raw[start : start + _STORED_MAX]
        out.append(struct.pack("<BHH", 0, len(chunk), len(chunk) ^ 0xFFFF))
        out.append(chunk)
    return b"".join(out)


def deflated_entry(name: str, raw: bytes, level: int = 6) -> ZipEntry:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    data = compressor.compress(raw) + compressor.flush()
    return ZipEntry(name, data, zlib.crc32(raw), len(raw), 8)


def stored_entry(name: str, raw: bytes) -> ZipEntry:
    return ZipEntry(name, raw, zlib.crc32(raw), len(raw), 0)


# Every entry is dated 1980-01-01 00:00 (the first DOS date): the same form
# gives the same bytes, whenever it is written.
_DOS_DATE = (1 << 5) | 1
_DOS_TIME = 0
_VERSION = 20  # 2.0: deflate


def zip_bytes(entries: Iterable[ZipEntry]) -> bytes:
    """A plain zip (no zip64, no data descriptors) of ``entries``, in order."""
    local: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    count = 0
    for entry in entries:
        name = entry.name.encode("utf-8")
        flags = 0 if name.isascii() else 0x800  # bit 11: the name is UTF-8
        fields = (entry.method, _DOS_TIME, _DOS_DATE, entry.crc, len(entry.data), entry.size)
        header = struct.pack("<IHH3H3IHH", 0x04034B50, _VERSION, flags, *fields, len(name), 0)
        local += (header, name, entry.data)
        central.append(
            struct.pack(
                "<IHHH3H3I5HII",
                0x02014B50,
                _VERSION,
                _VERSION,
                flags,
                *fields,
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + name
        )
        offset += len(header) + len(name) + len(entry.data)
        count += 1
    directory = b"".join(central)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), offset, 0)
    return b"".join(local) + directory + end
