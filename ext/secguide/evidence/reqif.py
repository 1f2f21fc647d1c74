"""``requirements.reqif``: the need items as ReqIF 1.2, for DOORS, Polarion, codebeamer.

Each kind of need is its own SPEC-OBJECT-TYPE (threat, requirement, setting,
verification, clause, ...) with its own attribute definitions: the common ones
(``ReqIF.ForeignID`` = need ID, ``ReqIF.Name`` = title, ``ReqIF.Text``, status,
tags) and only the extra fields that objects of that type carry (a setting's
symbol and value, a verification's kind and result). Each link option of
:data:`~secguide.trace.needs.LINK_TYPES` is a SPEC-RELATION-TYPE; one
SPECIFICATION lists the objects. The text is XHTML, one ``<p>`` per paragraph,
because XML attribute values (ReqIF strings) lose their line breaks. The guide's
export (:func:`guide_reqif_text`) and a build's evidence (:func:`typed_reqif_text`)
share the assembler. Built and written with the ``reqif`` library (strictdoc's).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from reqif.models.reqif_core_content import ReqIFCoreContent
from reqif.models.reqif_data_type import (
    ReqIFDataTypeDefinitionString,
    ReqIFDataTypeDefinitionXHTML,
)
from reqif.models.reqif_namespace_info import ReqIFNamespaceInfo
from reqif.models.reqif_req_if_content import ReqIFReqIFContent
from reqif.models.reqif_reqif_header import ReqIFReqIFHeader
from reqif.models.reqif_spec_hierarchy import ReqIFSpecHierarchy
from reqif.models.reqif_spec_object import ReqIFSpecObject, SpecObjectAttribute
from reqif.models.reqif_spec_object_type import ReqIFSpecObjectType, SpecAttributeDefinition
from reqif.models.reqif_spec_relation import ReqIFSpecRelation
from reqif.models.reqif_spec_relation_type import ReqIFSpecRelationType
from reqif.models.reqif_specification import ReqIFSpecification
from reqif.models.reqif_specification_type import ReqIFSpecificationType
from reqif.models.reqif_types import SpecObjectAttributeType
from reqif.object_lookup import ReqIFObjectLookup
from reqif.reqif_bundle import ReqIFBundle
from reqif.unparser import ReqIFUnparser

from secguide import __version__
from secguide.trace.needs import EXTRA_FIELDS, LINK_TYPES, NeedItem
from secguide.untrusted import inert

STRING_TYPE = "DT-STRING"
XHTML_TYPE = "DT-XHTML"

#: (attribute definition ID suffix, long name, type) of every object type; each type's
#: identifiers are prefixed with it (``AD-SETTING-NAME``), its extra fields follow.
_CORE_ATTRIBUTES: tuple[tuple[str, str, SpecObjectAttributeType], ...] = (
    ("AD-ID", "ReqIF.ForeignID", SpecObjectAttributeType.STRING),
    ("AD-NAME", "ReqIF.Name", SpecObjectAttributeType.STRING),
    ("AD-TEXT", "ReqIF.Text", SpecObjectAttributeType.XHTML),
    ("AD-STATUS", "Status", SpecObjectAttributeType.STRING),
    ("AD-TAGS", "Tags", SpecObjectAttributeType.STRING),
)


def object_identifier(need_id: str) -> str:
    """The SPEC-OBJECT IDENTIFIER of a need (XML IDs must not start with a digit)."""
    return f"SO-{need_id}"


def _xhtml(text: str) -> str:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()] or [""]
    body = "".join(f"<xhtml:p>{html.escape(' '.join(p.split()), quote=False)}</xhtml:p>"
                   for p in paragraphs)
    return f"<xhtml:div>{body}</xhtml:div>"


def _document(items: Sequence[NeedItem], spec_types: list, objects: list, *, title: str,
              created: str, specification: str, specification_type: str, header: str) -> str:
    """One ReqIF document: the objects, their trace links among ``items``, one specification."""
    known = {item.id for item in items}
    relations = [
        ReqIFSpecRelation(identifier=f"SR-{link.option.upper()}-{item.id}-{target}",
                          relation_type_ref=f"SRT-{link.option.upper()}",
                          source=object_identifier(item.id),
                          target=object_identifier(target), last_change=created)
        for item in items for link in LINK_TYPES
        for target in item.links.get(link.option, ()) if target in known]
    hierarchy = [ReqIFSpecHierarchy(identifier=f"SH-{item.id}", last_change=created,
                                    spec_object=object_identifier(item.id), level=1,
                                    children=None)
                 for item in items]
    content = ReqIFReqIFContent(
        data_types=[
            ReqIFDataTypeDefinitionString(identifier=STRING_TYPE, long_name="string",
                                          last_change=created, max_length="100000"),
            ReqIFDataTypeDefinitionXHTML(identifier=XHTML_TYPE, long_name="xhtml",
                                         last_change=created),
        ],
        spec_types=spec_types, spec_objects=objects, spec_relations=relations,
        specifications=[ReqIFSpecification(identifier=specification, long_name=title,
                                           last_change=created,
                                           specification_type=specification_type,
                                           children=hierarchy)],
    )
    bundle = ReqIFBundle(
        namespace_info=ReqIFNamespaceInfo.create_default(),
        req_if_header=ReqIFReqIFHeader(identifier=header, creation_time=created,
                                       req_if_tool_id=f"secguide {__version__}",
                                       req_if_version="1.0", source_tool_id="secguide",
                                       title=title),
        core_content=ReqIFCoreContent(req_if_content=content),
        tool_extensions_tag_exists=False,
        lookup=ReqIFObjectLookup.empty(),
        exceptions=[],
    )
    return ReqIFUnparser.unparse(bundle)


#: Need type -> the ReqIF object type it becomes, in the order the documents list them.
#: Both documents carry every need type, so that each holds exactly the objects and the
#: links of the ``needs.json`` written beside it.
GUIDE_OBJECTS: tuple[tuple[str, str], ...] = (
    ("assumption", "assumption"), ("asset", "asset"), ("adversary", "adversary"),
    ("out_of_scope", "out-of-scope"), ("threat", "threat"),
    ("responsibility", "responsibility"), ("recommendation", "requirement"),
    ("setting", "setting"), ("test", "verification"), ("clause", "clause"),
)


def object_type_identifier(kind: str) -> str:
    """``SOT-REQUIREMENT`` for the object type ``requirement``."""
    return f"SOT-{kind.upper()}"


def _typed_definitions(kind: str, items: Sequence[NeedItem],
                       created: str) -> tuple[list[SpecAttributeDefinition], list[str]]:
    """The attribute definitions of one object type: the core ones, then only the extra
    fields some item of the type fills."""
    prefix = f"AD-{kind.upper()}"
    fields = [name for name in EXTRA_FIELDS if any(item.extra.get(name) for item in items)]
    definitions = [
        SpecAttributeDefinition(
            attribute_type=attr_kind, identifier=f"{prefix}-{ident.removeprefix('AD-')}",
            long_name=long_name, last_change=created,
            datatype_definition=XHTML_TYPE if attr_kind is SpecObjectAttributeType.XHTML
            else STRING_TYPE)
        for ident, long_name, attr_kind in _CORE_ATTRIBUTES
    ] + [
        SpecAttributeDefinition(attribute_type=SpecObjectAttributeType.STRING,
                                identifier=f"{prefix}-{name.upper().replace('_', '-')}",
                                long_name=name, last_change=created,
                                datatype_definition=STRING_TYPE)
        for name in fields
    ]
    return definitions, fields


def _typed_attributes(kind: str, item: NeedItem, fields: Sequence[str]) -> list:
    prefix = f"AD-{kind.upper()}"
    # An empty value is left out, not written as THE-VALUE="": ReqIF lets an object omit
    # an attribute, and StrictDoc's importer refuses empty strings. Control characters
    # make XML ill-formed: every value is written inert.
    core = {"AD-ID": inert(item.id), "AD-NAME": inert(item.title),
            "AD-TEXT": _xhtml(inert(item.content)) if item.content.strip() else "",
            "AD-STATUS": inert(item.status), "AD-TAGS": inert(", ".join(item.tags))}
    attributes = [SpecObjectAttribute(attribute_type=attr_kind,
                                      definition_ref=f"{prefix}-{ident.removeprefix('AD-')}",
                                      value=core[ident])
                  for ident, _, attr_kind in _CORE_ATTRIBUTES if core[ident]]
    attributes += [SpecObjectAttribute(attribute_type=SpecObjectAttributeType.STRING,
                                       definition_ref=f"{prefix}-{name.upper().replace('_', '-')}",
                                       value=inert(item.extra[name]))
                   for name in fields if item.extra.get(name)]
    return attributes


def _typed_content(items: Sequence[NeedItem], object_types: Sequence[tuple[str, str]],
                   created: str) -> tuple[list, list]:
    """The object types (those with objects only) and the objects of ``items``, in order."""
    kinds = dict(object_types)
    spec_types: list = []
    objects: dict[str, ReqIFSpecObject] = {}
    for need_type, kind in object_types:
        of_type = [item for item in items if item.type == need_type]
        if not of_type:
            continue
        definitions, fields = _typed_definitions(kind, of_type, created)
        spec_types.append(ReqIFSpecObjectType(
            identifier=object_type_identifier(kind), long_name=kind, last_change=created,
            attribute_definitions=definitions))
        for item in of_type:
            objects[item.id] = ReqIFSpecObject(
                identifier=object_identifier(item.id),
                attributes=_typed_attributes(kind, item, fields),
                spec_object_type=object_type_identifier(kind), last_change=created,
                long_name=item.id)
    return spec_types, [objects[item.id] for item in items if item.type in kinds]


def _relation_types(created: str) -> list:
    return [ReqIFSpecRelationType(identifier=f"SRT-{link.option.upper()}",
                                  long_name=link.outgoing, last_change=created)
            for link in LINK_TYPES]


def guide_reqif_text(items: Sequence[NeedItem], *, title: str, created: str) -> str:
    """The guide's ReqIF: every need, in model order, typed by :data:`GUIDE_OBJECTS`.

    ``created`` (ISO 8601) stamps the header and every LAST-CHANGE.

    Raises:
        AssertionError: from the ``reqif`` library, if an object is inconsistent
            (a bug here, not a user error).
    """
    known = {need_type for need_type, _ in GUIDE_OBJECTS}
    kept = [item for item in items if item.type in known]
    return _typed_document(kept, GUIDE_OBJECTS, title=title, created=created,
                           kind=("ST-GUIDE", "Security guide"),
                           ids=("SPEC-SECGUIDE", "HEADER-SECGUIDE"))


def typed_reqif_text(items: Sequence[NeedItem], *, title: str, created: str) -> str:
    """A build's evidence as ReqIF: the same objects and links as its ``needs.json``,
    typed by :data:`GUIDE_OBJECTS`, under its own specification."""
    known = {need_type for need_type, _ in GUIDE_OBJECTS}
    kept = [item for item in items if item.type in known]
    return _typed_document(kept, GUIDE_OBJECTS, title=title, created=created,
                           kind=("ST-EVIDENCE", "Evidence"),
                           ids=("SPEC-EVIDENCE", "HEADER-SECGUIDE-EVIDENCE"))


def _typed_document(kept: Sequence[NeedItem], object_types: tuple[tuple[str, str], ...], *,
                    title: str, created: str, kind: tuple[str, str],
                    ids: tuple[str, str]) -> str:
    """One typed document of ``kept``: ``kind`` is its specification type (identifier, long
    name), ``ids`` its specification and header identifiers."""
    spec_types, objects = _typed_content(kept, object_types, created)
    spec_types += _relation_types(created)
    spec_types.append(ReqIFSpecificationType(identifier=kind[0], long_name=kind[1],
                                             last_change=created))
    return _document(kept, spec_types, objects, title=title, created=created,
                     specification=ids[0], specification_type=kind[0], header=ids[1])
