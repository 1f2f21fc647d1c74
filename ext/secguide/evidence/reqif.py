"""``requirements.reqif``: the need items as ReqIF 1.2, for DOORS, Polarion, codebeamer.

One SPEC-OBJECT-TYPE ("secguide need") carries every need with the attributes
below; each link option of :data:`~secguide.trace.needs.LINK_TYPES` is a
SPEC-RELATION-TYPE; one SPECIFICATION lists the needs in model order. The need ID
is ``ReqIF.ForeignID`` and the title ``ReqIF.Name``; the text is XHTML, one
``<p>`` per paragraph, because XML attribute values (ReqIF strings) lose their
line breaks. Built and written with the ``reqif`` library (strictdoc's).
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

STRING_TYPE = "DT-STRING"
XHTML_TYPE = "DT-XHTML"
OBJECT_TYPE = "SOT-SECGUIDE-NEED"

#: (attribute definition ID, long name, type); the extra fields follow.
_CORE_ATTRIBUTES: tuple[tuple[str, str, SpecObjectAttributeType], ...] = (
    ("AD-ID", "ReqIF.ForeignID", SpecObjectAttributeType.STRING),
    ("AD-NAME", "ReqIF.Name", SpecObjectAttributeType.STRING),
    ("AD-TEXT", "ReqIF.Text", SpecObjectAttributeType.XHTML),
    ("AD-TYPE", "Type", SpecObjectAttributeType.STRING),
    ("AD-STATUS", "Status", SpecObjectAttributeType.STRING),
    ("AD-TAGS", "Tags", SpecObjectAttributeType.STRING),
)


def _extra_definition_id(name: str) -> str:
    return "AD-" + name.upper().replace("_", "-")


def object_identifier(need_id: str) -> str:
    """The SPEC-OBJECT IDENTIFIER of a need (XML IDs must not start with a digit)."""
    return f"SO-{need_id}"


def _xhtml(text: str) -> str:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()] or [""]
    body = "".join(f"<xhtml:p>{html.escape(' '.join(p.split()), quote=False)}</xhtml:p>"
                   for p in paragraphs)
    return f"<xhtml:div>{body}</xhtml:div>"


def _attributes(item: NeedItem) -> list[SpecObjectAttribute]:
    values = {
        "AD-ID": item.id,
        "AD-NAME": item.title,
        "AD-TEXT": _xhtml(item.content),
        "AD-TYPE": item.type,
        "AD-STATUS": item.status,
        "AD-TAGS": ", ".join(item.tags),
    }
    attributes = [SpecObjectAttribute(attribute_type=kind, definition_ref=ident,
                                      value=values[ident])
                  for ident, _, kind in _CORE_ATTRIBUTES]
    for name in EXTRA_FIELDS:
        value = item.extra.get(name, "")
        if value:
            attributes.append(SpecObjectAttribute(
                attribute_type=SpecObjectAttributeType.STRING,
                definition_ref=_extra_definition_id(name), value=value))
    return attributes


def reqif_text(items: Sequence[NeedItem], *, title: str, created: str) -> str:
    """The ReqIF XML of ``items``; ``created`` (ISO 8601) stamps header and LAST-CHANGE.

    Raises:
        AssertionError: from the ``reqif`` library, if an object is inconsistent
            (a bug here, not a user error).
    """
    definitions = [
        SpecAttributeDefinition(
            attribute_type=kind, identifier=ident, long_name=long_name, last_change=created,
            datatype_definition=XHTML_TYPE if kind is SpecObjectAttributeType.XHTML
            else STRING_TYPE)
        for ident, long_name, kind in _CORE_ATTRIBUTES
    ] + [
        SpecAttributeDefinition(attribute_type=SpecObjectAttributeType.STRING,
                                identifier=_extra_definition_id(name), long_name=name,
                                last_change=created, datatype_definition=STRING_TYPE)
        for name in EXTRA_FIELDS
    ]
    spec_types: list = [
        ReqIFSpecObjectType(identifier=OBJECT_TYPE, long_name="secguide need",
                            last_change=created, attribute_definitions=definitions),
        *(ReqIFSpecRelationType(identifier=f"SRT-{link.option.upper()}",
                                long_name=link.outgoing, last_change=created)
          for link in LINK_TYPES),
        ReqIFSpecificationType(identifier="ST-GUIDE", long_name="Security guide",
                               last_change=created),
    ]
    objects = [ReqIFSpecObject(identifier=object_identifier(item.id),
                               attributes=_attributes(item), spec_object_type=OBJECT_TYPE,
                               last_change=created, long_name=item.id)
               for item in items]
    return _document(items, spec_types, objects, title=title, created=created,
                     specification="SPEC-SECGUIDE", specification_type="ST-GUIDE",
                     header="HEADER-SECGUIDE")


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


#: Need type -> the ReqIF object type it becomes in typed exports, in document order.
TYPED_OBJECTS: tuple[tuple[str, str], ...] = (
    ("threat", "threat"), ("responsibility", "responsibility"),
    ("recommendation", "requirement"), ("setting", "setting"), ("test", "verification"),
    ("clause", "clause"),
)


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
        for ident, long_name, attr_kind in _CORE_ATTRIBUTES if ident != "AD-TYPE"
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
    core = {"AD-ID": item.id, "AD-NAME": item.title, "AD-TEXT": _xhtml(item.content),
            "AD-STATUS": item.status, "AD-TAGS": ", ".join(item.tags)}
    attributes = [SpecObjectAttribute(attribute_type=attr_kind,
                                      definition_ref=f"{prefix}-{ident.removeprefix('AD-')}",
                                      value=core[ident])
                  for ident, _, attr_kind in _CORE_ATTRIBUTES if ident != "AD-TYPE"]
    attributes += [SpecObjectAttribute(attribute_type=SpecObjectAttributeType.STRING,
                                       definition_ref=f"{prefix}-{name.upper().replace('_', '-')}",
                                       value=item.extra[name])
                   for name in fields if item.extra.get(name)]
    return attributes


def typed_reqif_text(items: Sequence[NeedItem], *, title: str, created: str) -> str:
    """ReqIF with one SPEC-OBJECT-TYPE per kind of object (requirement, setting,
    verification, threat, clause, responsibility), each with only its own attributes.

    Items of other need types (adversaries, assumptions, out-of-scope entries) are
    left out, and so are links to them.
    """
    by_type = {need_type: [i for i in items if i.type == need_type]
               for need_type, _ in TYPED_OBJECTS}
    kept = [item for need_type, _ in TYPED_OBJECTS for item in by_type[need_type]]
    spec_types: list = []
    objects = []
    for need_type, kind in TYPED_OBJECTS:
        of_type = by_type[need_type]
        if not of_type:
            continue
        definitions, fields = _typed_definitions(kind, of_type, created)
        spec_types.append(ReqIFSpecObjectType(
            identifier=f"SOT-{kind.upper()}", long_name=kind, last_change=created,
            attribute_definitions=definitions))
        objects += [ReqIFSpecObject(identifier=object_identifier(item.id),
                                    attributes=_typed_attributes(kind, item, fields),
                                    spec_object_type=f"SOT-{kind.upper()}",
                                    last_change=created, long_name=item.id)
                    for item in of_type]
    spec_types += [ReqIFSpecRelationType(identifier=f"SRT-{link.option.upper()}",
                                         long_name=link.outgoing, last_change=created)
                   for link in LINK_TYPES]
    spec_types.append(ReqIFSpecificationType(identifier="ST-EVIDENCE", long_name="Evidence",
                                             last_change=created))
    return _document(kept, spec_types, objects, title=title, created=created,
                     specification="SPEC-EVIDENCE", specification_type="ST-EVIDENCE",
                     header="HEADER-SECGUIDE-EVIDENCE")
