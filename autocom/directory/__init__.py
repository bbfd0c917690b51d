"""Directory sources (file, site users, LDAP) merged into one searchable directory.

See docs/directory.md.  Entry points: :class:`Directory` (merge/dedup/paging),
the sources (:class:`FileSource`, :class:`SiteSource`, :class:`LdapSource`),
:class:`DirectoryIndex` and :class:`IndexedLdapSource` (searches in
memory), :class:`NumberPlan` (number normalisation), :func:`parse_term` /
:func:`keypad_query` (queries) and :func:`ldapfilter.escape` (RFC 4515).
"""

from autocom.directory.base import DirectoryError, DirectorySource, SourceUnavailable
from autocom.directory.file_source import FileSource, read_people
from autocom.directory.index import DirectoryIndex, IndexSettings
from autocom.directory.indexed import IndexedLdapSource
from autocom.directory.ldap_source import AttributeMap, LdapSettings, LdapSource
from autocom.directory.merge import Directory
from autocom.directory.model import Entry, Number, Page, Query, SourceResult
from autocom.directory.numbers import ExtensionDid, NumberPlan
from autocom.directory.query import keypad_query, matches, parse_term
from autocom.directory.site_source import SiteSource

__all__ = [
    "AttributeMap",
    "Directory",
    "DirectoryError",
    "DirectoryIndex",
    "DirectorySource",
    "Entry",
    "ExtensionDid",
    "FileSource",
    "IndexSettings",
    "IndexedLdapSource",
    "LdapSettings",
    "LdapSource",
    "Number",
    "NumberPlan",
    "Page",
    "Query",
    "SiteSource",
    "SourceResult",
    "SourceUnavailable",
    "keypad_query",
    "matches",
    "parse_term",
    "read_people",
]
