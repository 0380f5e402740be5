"""The checklist templates' output as WeasyPrint's `HTML`, read by Python's XML parser.

WeasyPrint reads HTML with tinyhtml5, an HTML5 parser written in Python: about 6 ms a unit, a
twentieth of a diploma's whole print. The templates in `templates/pdf/` write well-formed XHTML
(void elements closed, an upper-case DOCTYPE, every table row inside a row group) and people's
text reaches them escaped by Django's autoescape, so the C XML parser reads the same markup in
a fortieth of the time and builds the same tree (`tests/checklists/test_markup.py` compares
the two trees for every layout, blank and filled). Text that XML refuses and HTML takes, such
as a control character an import let through, is read by WeasyPrint's own parser as before.

People's text cannot add markup (every "<" in it arrives as "&lt;"), so the only DOCTYPE is the
templates' own and no entity is declared; defusedxml refuses entity declarations and external
references all the same, and what it refuses goes to the HTML parser too.

WeasyPrint also matches its whole user-agent stylesheet (every element of HTML, forms, lists,
right-to-left text) against every element of every unit: a fifteenth of the layout. A unit read
here is matched against `templates/pdf/ua.css` instead, that stylesheet's rules for the
elements in `UA_ELEMENTS`, copied as they are, which costs a third as much. The test fails when
a template uses another element, and compares every layout printed both ways pixel by pixel.

Imported only where WeasyPrint is (see `pdf.py`).
"""

import functools
import xml.etree.ElementTree as ElementTree

import cssselect2
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.template.loader import render_to_string
from weasyprint import CSS, HTML

UA_STYLESHEET = "pdf/ua.css"

# The elements templates/pdf/ writes, which templates/pdf/ua.css styles as WeasyPrint's own
# user-agent stylesheet does.
UA_ELEMENTS = frozenset(
    {
        "body", "br", "div", "h1", "h2", "h3", "head", "html", "meta",
        "p", "span", "table", "tbody", "td", "th", "thead", "title", "tr",
    }
)  # fmt: skip

# What `linebreaksbr` writes, and its XML spelling.
_HTML_BREAK, _XML_BREAK = "<br>", "<br/>"


class _ParsedHTML(HTML):
    """A WeasyPrint `HTML` built from a tree already parsed (what `HTML.__init__` of WeasyPrint
    70, pinned in pyproject.toml, sets once tinyhtml5 has read the source), styled by the
    checklists' user-agent stylesheet."""

    def __init__(self, root: ElementTree.Element, *, base_url: str, url_fetcher):
        self.base_url = base_url
        self.url_fetcher = url_fetcher
        self.media_type = "print"
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
        self.etree_element = self.wrapper_element.etree_element

    def _ua_stylesheets(self, forms=False):
        return [user_agent_stylesheet()]


def xml_tree(source: str) -> ElementTree.Element | None:
    """The template output's tree, or None when XML (or defusedxml) refuses it."""
    try:
        return fromstring(source.replace(_HTML_BREAK, _XML_BREAK))
    except (ElementTree.ParseError, DefusedXmlException):
        return None


@functools.cache
def user_agent_stylesheet() -> CSS:
    """`templates/pdf/ua.css`, parsed once a process (it holds no fonts and fetches nothing)."""
    return CSS(string=render_to_string(UA_STYLESHEET))


def template_html(source: str, *, base_url: str, url_fetcher) -> HTML:
    """WeasyPrint's document for a checklist template's output."""
    root = xml_tree(source)
    if root is None:
        return HTML(string=source, base_url=base_url, url_fetcher=url_fetcher)
    return _ParsedHTML(root, base_url=base_url, url_fetcher=url_fetcher)
