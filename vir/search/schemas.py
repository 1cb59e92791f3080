from __future__ import annotations

import marshmallow as ma

from vir.documents.schemas import CATEGORIES


class SearchQuery(ma.Schema):
    q = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))
    provider = ma.fields.String(load_default=None)
    area = ma.fields.String(
        load_default=None, validate=ma.validate.OneOf(["provider", "inspectors"])
    )
    category = ma.fields.String(load_default=None, validate=ma.validate.OneOf(CATEGORIES))
    since = ma.fields.Date(
        load_default=None,
        data_key="from",
        metadata={"description": "uploaded on or after (local date)"},
    )
    until = ma.fields.Date(
        load_default=None,
        data_key="to",
        metadata={"description": "uploaded on or before (local date)"},
    )
    sort = ma.fields.String(
        load_default="relevance", validate=ma.validate.OneOf(["relevance", "date"])
    )
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1000))
    per_page = ma.fields.Integer(load_default=10, validate=ma.validate.Range(min=1, max=100))
    facets = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "also count results per provider, area and category"},
    )


class SearchHit(ma.Schema):
    document_id = ma.fields.Integer()
    version = ma.fields.Integer()
    title = ma.fields.String()
    filename = ma.fields.String()
    provider = ma.fields.String()
    area = ma.fields.String()
    folder_id = ma.fields.Integer()
    category = ma.fields.String()
    uploaded_at = ma.fields.AwareDateTime()
    score = ma.fields.Float()
    snippet = ma.fields.String(metadata={"description": "escaped HTML; matches in <mark>"})


class SearchResults(ma.Schema):
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    results = ma.fields.List(ma.fields.Nested(SearchHit))
    facets = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer()),
        metadata={"description": "counts per provider, area and category"},
    )
    suggestion = ma.fields.String(allow_none=True, metadata={"description": "did you mean"})
