"""The centre's progress export, for its admins: the same rows as the CSV the centre page
offers (`centres.exports.progress_rows`, `centres.exports.progress_export`), as JSON or CSV
(streamed, as the page streams it), with the audit chain's head."""

from django.http import StreamingHttpResponse
from ninja import Router

from accounts.selectors import get_centre_for_user
from api.common import READ_ERRORS, Id
from api.schemas import ProgressExport
from audit.chain import chain_head
from centres.exports import EXPORT_HEADERS, progress_export, progress_rows

router = Router(tags=["export"])


@router.get("/centres/{centre_id}/progress", response={200: ProgressExport, **READ_ERRORS})
def progress_json(request, centre_id: Id):
    """Every learner's progress per unit (centre admins)."""
    centre = get_centre_for_user(request.user, centre_id, manage=True)
    rows = progress_rows(centre)
    seq, digest = chain_head()
    return {
        "centre_id": centre.pk,
        "audit_chain_head": f"#{seq} {digest}",
        "headers": EXPORT_HEADERS,
        "rows": [dict(zip(EXPORT_HEADERS, row, strict=True)) for row in rows],
    }


@router.get(
    "/centres/{centre_id}/progress.csv",
    response=READ_ERRORS,
    openapi_extra={
        "responses": {
            "200": {
                "description": "The progress export as CSV (cells escaped against formulas).",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def progress_csv(request, centre_id: Id):
    """The same export as CSV, exactly the file the centre page gives (centre admins)."""
    centre = get_centre_for_user(request.user, centre_id, manage=True)
    export = progress_export(centre, "csv")
    response = StreamingHttpResponse(export.content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["X-Audit-Chain-Head"] = export.head
    return response
