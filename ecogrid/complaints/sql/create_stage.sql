-- The staging table of one import batch: one row per kept row, in time order (ord), with its place
-- in the batch (pos) and the fields of bulk_import._STAGE, in that order and of those types. The point
-- is computed by the server as the rows arrive (a generated column).
CREATE TEMP TABLE stage (
    ord int4, pos int4, channel text, kind text, category text, description text, received_at timestamptz,
    external_ref text, address text, complainant_name text, complainant_phone text, urgency text,
    orig_lon float8, orig_lat float8, orig_crs text, lon float8, lat float8,
    radius float8, existing_case_id int4,
    geom geometry GENERATED ALWAYS AS
        (CASE WHEN lon IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(lon, lat), 4326) END) STORED)
ON COMMIT DROP
