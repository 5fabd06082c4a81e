"""``POST /api/v1/complaints/import``: a hotline export (CSV or .xlsx) and its mapping file, imported by
the same function as ``ecogrid complaints import``; ``?check=true`` is the dry run, ``?report=csv`` answers
with the error report as a CSV download (the figures in ``X-Import-*`` headers)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile

from api.deps import DbSession, Principal, SettingsDep, require_roles
from ecogrid.complaints import bulk_import as complaint_import
from ecogrid.complaints import import_mapping as mappings
from ecogrid.complaints.import_schemas import ImportProblem, ImportReportRead, RefusalCount
from ecogrid.core.errors import InvalidInput

router = APIRouter(prefix="/api/v1/complaints", tags=["complaints"])


def _read(upload: UploadFile, limit: int, field: str) -> bytes:
    # One byte past the limit is enough to refuse; a huge upload is never held in memory whole.
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(f"{field} is larger than {limit} bytes", field=field)
    return data


@router.post("/import", response_model=ImportReportRead,
             responses={200: {"content": {"text/csv": {}}, "description": "the report, or with report=csv the "
                              "error report (row, field, value, reason) as CSV"}})
def import_complaints(
    session: DbSession, settings: SettingsDep,
    principal: Annotated[Principal, Depends(require_roles("clerk"))],
    file: Annotated[UploadFile, File(description="the export: CSV (UTF-8 or GBK) or .xlsx")],
    mapping: Annotated[UploadFile | None, File(description="JSON or YAML mapping file")] = None,
    check: Annotated[bool, Query(description="dry run: report what would happen, store nothing")] = False,
    report: Annotated[Literal["json", "csv"], Query()] = "json",
) -> ImportReportRead | Response:
    import_mapping = mappings.ImportMapping()
    if mapping is not None:
        document = mappings.parse_document(_read(mapping, settings.import_mapping_max_bytes, "mapping"),
                                           name=mapping.filename or "mapping.json")
        import_mapping = mappings.from_document(document)
    data = _read(file, settings.import_max_bytes, "file")
    result = complaint_import.import_file(session, source=data, mapping=import_mapping, check=check,
                                         created_by_id=principal.user_id, settings=settings)
    if not check:  # a dry run has already rolled back its own savepoint
        session.commit()
    body = ImportReportRead(
        checked=result.checked, rows=result.rows, stored=result.stored, new_cases=result.new_cases,
        repeats=result.repeats, reopened=result.reopened, out_of_jurisdiction=result.out_of_jurisdiction,
        duplicates=result.duplicates,
        skipped=result.skipped, refused=result.refused,
        refused_by_reason=[RefusalCount(field=f, reason=r, rows=n) for f, r, n in result.refused_by_reason()],
        unmapped=result.unmapped,
        errors=[ImportProblem(row=e.row, field=e.field, value=e.value, reason=e.reason) for e in result.errors])
    if report == "csv":
        headers = {"Content-Disposition": 'attachment; filename="import-errors.csv"',
                   **{f"X-Import-{name.replace('_', '-').title()}": str(getattr(body, name))
                      for name in ("checked", "rows", "stored", "new_cases", "repeats", "out_of_jurisdiction",
                                   "duplicates", "skipped", "refused")}}
        return Response(content=complaint_import.errors_csv(result.errors).encode("utf-8-sig"),
                        media_type="text/csv; charset=utf-8", headers=headers)
    return body
