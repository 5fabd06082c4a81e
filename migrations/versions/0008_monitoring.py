"""monitoring: fixed monitors, their readings (partitioned by month), alarms and permit limits

Revision ID: 0006_monitoring
Revises: 0006_open311

- ``monitor_stations``: air-quality stations, plant stack / outfall / boundary monitors (linked to a
  source), noise monitors and weather stations, each with its HJ 212 device number (MN), a hash of
  its access password, its position and the pollutants it measures.
- ``monitor_readings``: one value per station, pollutant code, interval (real-time, minute, hour,
  day) and time. Years of minute data: the table is partitioned by month (declarative range
  partitioning on ``measured_at``); the partitions are created as data arrives
  (``ecogrid.monitoring.storage``). The key is also what makes a retransmitted packet a no-op.
- ``monitor_alarms``: an exceedance (or a run of them) against a known limit, which may become a case.
- ``permit_limits``: a source's registered emission limits per pollutant (排污许可证, or the emission
  standard written into the permit, e.g. GB 16297-1996).
- ``weather_records.station_id``: wind from a registered weather station, one row per station and time.
- The ``monitoring`` channel (cases opened from alarms).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0006_monitoring"
down_revision: str | None = "0006_open311"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_CHANNELS = ("hotline_12345", "hotline_12369", "national_platform", "provincial_hotline", "letter", "visit",
                "web", "open311", "patrol")
NEW_CHANNELS = (*OLD_CHANNELS, "monitoring")
STATION_KINDS = ("air_quality", "stack", "outfall", "boundary", "noise", "weather")
INTERVALS = ("rtd", "minute", "hour", "day")
ALARM_STATUSES = ("open", "case", "dismissed")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _channels(values: tuple[str, ...]) -> None:
    for table in ("complaints", "cases"):
        op.drop_constraint(f"ck_{table}_channel", table, type_="check")
        op.create_check_constraint(f"ck_{table}_channel", table, f"channel IN ({_in(values)})")


def upgrade() -> None:
    op.create_table(
        "monitor_stations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("mn", sa.String(32), nullable=True, unique=True),
        sa.Column("password_hash", sa.String(64), nullable=True),
        sa.Column("source_id", sa.Integer(), sa.ForeignKey("sources.id"), nullable=True, index=True),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("pollutants", postgresql.JSONB(), server_default="[]", nullable=False),
        sa.Column("noise_class", sa.String(4), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(f"kind IN ({_in(STATION_KINDS)})", name="ck_monitor_stations_kind"),
        sa.CheckConstraint("kind NOT IN ('stack', 'outfall') OR source_id IS NOT NULL",
                           name="ck_monitor_stations_plant_source"),
    )
    op.create_index("ix_monitor_stations_geom", "monitor_stations", ["geom"], postgresql_using="gist")
    op.execute("CREATE INDEX ix_monitor_stations_geog ON monitor_stations USING gist ((geom::geography))")

    # Partitioned parent: no rows of its own; partitions monitor_readings_yYYYYmMM hold each month.
    op.execute(f"""
        CREATE TABLE monitor_readings (
            station_id integer NOT NULL REFERENCES monitor_stations (id),
            code varchar(16) NOT NULL,
            parameter varchar(32),
            interval varchar(8) NOT NULL CHECK (interval IN ({_in(INTERVALS)})),
            measured_at timestamptz NOT NULL,
            value double precision NOT NULL,
            min double precision,
            max double precision,
            cou double precision,
            unit varchar(16),
            flag varchar(2) NOT NULL DEFAULT 'N',
            received_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (station_id, code, interval, measured_at)
        ) PARTITION BY RANGE (measured_at)
    """)
    op.execute("CREATE INDEX ix_monitor_readings_measured_at ON monitor_readings (measured_at)")
    # One month's partition (Beijing calendar month, so a Beijing day never spans two), created the
    # first time a reading of that month arrives; an advisory lock lets concurrent writers race safely.
    op.execute("""
        CREATE FUNCTION ecogrid_monitor_partition(at timestamptz) RETURNS text LANGUAGE plpgsql AS $$
        DECLARE
            local_month timestamp := date_trunc('month', at AT TIME ZONE 'Asia/Shanghai');
            name text := 'monitor_readings_y' || to_char(local_month, 'YYYY') || 'm' || to_char(local_month, 'MM');
        BEGIN
            IF to_regclass(name) IS NULL THEN
                PERFORM pg_advisory_xact_lock(hashtext('ecogrid_monitor_partition'));
                IF to_regclass(name) IS NULL THEN
                    EXECUTE format('CREATE TABLE %I PARTITION OF monitor_readings FOR VALUES FROM (%L) TO (%L)',
                                   name, local_month AT TIME ZONE 'Asia/Shanghai',
                                   (local_month + interval '1 month') AT TIME ZONE 'Asia/Shanghai');
                END IF;
            END IF;
            RETURN name;
        END $$
    """)

    op.create_table(
        "monitor_alarms",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("station_id", sa.Integer(), sa.ForeignKey("monitor_stations.id"), nullable=False, index=True),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("parameter", sa.String(32), nullable=True),
        sa.Column("interval", sa.String(8), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("peak_value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(16), nullable=True),
        sa.Column("limit_value", sa.Float(), nullable=False),
        sa.Column("standard", sa.String(128), nullable=False),
        sa.Column("verdict", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("readings", sa.Integer(), server_default="1", nullable=False),
        sa.Column("status", sa.String(16), server_default="open", nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=True, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.UniqueConstraint("station_id", "code", "interval", "first_at", name="uq_monitor_alarms_first"),
        sa.CheckConstraint(f"status IN ({_in(ALARM_STATUSES)})", name="ck_monitor_alarms_status"),
        sa.CheckConstraint(f"interval IN ({_in(INTERVALS)})", name="ck_monitor_alarms_interval"),
    )

    op.create_table(
        "permit_limits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_id", sa.Integer(), sa.ForeignKey("sources.id"), nullable=False, index=True),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("limit_value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("interval", sa.String(8), server_default="any", nullable=False),
        sa.Column("basis", sa.String(256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.UniqueConstraint("source_id", "code", "interval", name="uq_permit_limits_source_code"),
        sa.CheckConstraint(f"interval IN ({_in((*INTERVALS, 'any'))})", name="ck_permit_limits_interval"),
    )

    op.add_column("weather_records", sa.Column("station_id", sa.Integer(),
                                               sa.ForeignKey("monitor_stations.id"), nullable=True))
    op.create_index("uq_weather_records_station_time", "weather_records", ["station_id", "observed_at"],
                    unique=True, postgresql_where=sa.text("station_id IS NOT NULL"))
    _channels(NEW_CHANNELS)


def downgrade() -> None:
    # Refused (by the CHECK) while cases from the monitoring channel exist: they are not rewritten.
    _channels(OLD_CHANNELS)
    op.drop_index("uq_weather_records_station_time", table_name="weather_records")
    op.drop_column("weather_records", "station_id")
    op.drop_table("permit_limits")
    op.drop_table("monitor_alarms")
    op.execute("DROP TABLE monitor_readings")  # and every monthly partition with it
    op.execute("DROP FUNCTION ecogrid_monitor_partition(timestamptz)")
    op.drop_table("monitor_stations")
