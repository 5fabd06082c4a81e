"""The one settings object, read from the environment (prefix ``ECOGRID_``) or a ``.env`` file.

Settings are never read at import time: call :func:`get_settings`, which is cached and can be
replaced in tests with ``get_settings.cache_clear()`` plus environment changes, or by passing a
``Settings`` instance to ``create_app``.
"""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ecogrid.core.embedded import DEFAULT_TEMP_FILE_LIMIT

# The signing secret older versions shipped as their default: public, so refused in every mode.
DEFAULT_SECRET = "change-me-development-only"
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ECOGRID_", env_file=".env", extra="ignore")

    # Deployment mode: "production" needs an explicit strong ECOGRID_SECRET_KEY; "development" generates
    # one on first start (file ``secret_key`` in data_dir, mode 0600) when none is set.
    mode: Literal["development", "production"] = "development"

    # Database: with no URL, ecogrid owns a private PostgreSQL + PostGIS cluster in data_dir.
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    data_dir: Path = Path("var")
    pg_bin_dir: Path | None = None
    pg_service_user: str = "postgres"

    # Sign-in. With no secret_key, the generated one in data_dir is used (see ecogrid.signing_secret).
    secret_key: str | None = None
    token_minutes: int = Field(default=12 * 60, ge=1)
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"

    # Web server.
    host: str = "127.0.0.1"
    port: int = 8000

    # Uploads (photo evidence). The store's folder: see `photo_dir` (and the hardening block below).
    upload_dir: Path | None = None
    max_upload_bytes: int = 20 * 1024 * 1024
    photo_max_distance_m: float = 500.0
    photo_max_time_skew_minutes: int = 120

    # Repeat detection: radius per category family in metres, and how long a closed case still attracts repeats.
    repeat_radius_m: dict[str, float] = {
        "odour": 500, "voc": 500, "smoke": 300, "cooking_fumes": 150, "dust": 300,
        "noise_industrial": 150, "noise_construction": 150, "noise_social": 150, "noise_traffic": 150,
        "wastewater": 300, "black_odorous_water": 300, "soil": 200, "solid_waste": 100,
        "hazardous_waste": 100, "radiation": 200, "ecology": 300, "other": 100,
    }
    repeat_closed_window_days: int = 30

    # Suspect ranking: search radius per category (m) and the weight of each factor.
    suspect_radius_m: dict[str, float] = {
        "odour": 3000, "voc": 3000, "smoke": 1500, "cooking_fumes": 300, "dust": 1000,
        "noise_industrial": 500, "noise_construction": 500, "noise_social": 300, "noise_traffic": 500,
        "wastewater": 2000, "black_odorous_water": 2000, "soil": 1000, "solid_waste": 1000,
        "hazardous_waste": 2000, "radiation": 1000, "ecology": 2000, "other": 1000,
    }
    # The distance part decays as exp(-d / scale): scale per category (m), about how far each carries.
    suspect_distance_scale_m: dict[str, float] = {
        "odour": 900, "voc": 700, "smoke": 500, "cooking_fumes": 60, "dust": 350,
        "noise_industrial": 120, "noise_construction": 120, "noise_social": 80, "noise_traffic": 150,
        "wastewater": 400, "black_odorous_water": 500, "soil": 300, "solid_waste": 80,
        "hazardous_waste": 150, "radiation": 300, "ecology": 600, "other": 300,
    }
    suspect_limit: int = 10
    suspect_weight_distance: float = 0.45
    suspect_weight_category: float = 0.25
    suspect_weight_wind: float = 0.15
    suspect_weight_history: float = 0.15

    # Progress colour: yellow once this share of the allowed time is used.
    deadline_yellow_fraction: float = 0.8

    # Maps.
    # A provider named in maps/base_layers.json: none (offline), osm, tianditu, gaode (GCJ-02), or the bureau's own.
    base_map: str = "none"
    tianditu_key: str | None = None

    # Patrol: where routes start and end (WGS-84).
    office_lon: float = 120.3826
    office_lat: float = 36.0671

    # Patrol risk ranking: weight of each factor (each factor is scaled to 0..1 first), the
    # half-life in days of a complaint's weight, how many days without inspection count as
    # "long overdue", the hotspot grid cell size and the minimum weighted complaints in a cell.
    patrol_weight_complaints: float = 0.35
    patrol_weight_cases: float = 0.20
    patrol_weight_exceedances: float = 0.20
    patrol_weight_key_discharger: float = 0.10
    patrol_weight_days_since_inspection: float = 0.15
    patrol_half_life_days: float = 30.0
    patrol_inspection_gap_cap_days: int = 365
    patrol_window_days: int = 180
    patrol_cell_size_m: float = 500.0
    patrol_cell_min_complaints: float = 3.0
    # "One public": results of a drawn check are published within this many days.
    patrol_publish_within_days: int = 20

    # Hardening: query bounds. Every request-scoped statement runs under a statement timeout
    # (longer for file exports); grids may not need more than max_grid_cells cells; a period may
    # not be longer than max_period_days; the embedded cluster caps each query's temporary files.
    statement_timeout_ms: int = Field(default=5000, ge=1)
    export_statement_timeout_ms: int = Field(default=60_000, ge=1)
    max_grid_cells: int = Field(default=200_000, ge=1)
    max_period_days: int = Field(default=3660, ge=1)
    temp_file_limit: str = Field(default=DEFAULT_TEMP_FILE_LIMIT, pattern=r"^(-1|[0-9]+ ?(kB|MB|GB|TB)?)$")

    # Hardening: sign-in.
    # Failed sign-ins counted per user name (since its last success) and per client address within the
    # window; at the limit further attempts get 429 with Retry-After, even with the right password.
    sign_in_window_minutes: int = Field(default=15, ge=1)
    sign_in_max_failures_per_user: int = Field(default=5, ge=1)
    sign_in_max_failures_per_client: int = Field(default=20, ge=1)
    # Behind a reverse proxy: believe X-Forwarded-Proto/X-Forwarded-For, but only from these peers
    # ("*" for any). Decides the client address for throttling and the cookie's Secure flag.
    trust_proxy_headers: bool = False
    forwarded_allow_ips: list[str] = ["127.0.0.1", "::1"]

    # Hotline import: the largest export file (CSV or .xlsx) and mapping file accepted over HTTP.
    import_max_bytes: int = 64 * 1024 * 1024
    import_mapping_max_bytes: int = 256 * 1024

    # Hardening: uploads and oversized input.
    # Phone cameras write 12-50 MP by default; the largest common full-resolution mode is
    # 8192 x 6144 (50.3 MP, "50 MP" sensors), which fits; a 200 MP mode is refused with the limit named.
    max_image_pixels: int = Field(default=52_000_000, ge=1)
    # Each decode of a PNG or WebP holds up to 4 bytes a pixel; this many at once bound memory.
    max_concurrent_decodes: int = Field(default=2, ge=1)
    # Request bodies: photo uploads get max_upload_bytes, imports (zone GeoJSON, hotline exports)
    # import_max_bytes (plus the mapping file and room for the form), any other max_body_bytes.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    # Zone imports: vertices per feature (an intake inside a zone tests its every vertex) and
    # per file, counted before any geometry is built.
    max_zone_vertices: int = Field(default=100_000, ge=1)
    max_import_vertices: int = Field(default=1_000_000, ge=1)

    # Operations: the photo object store, metrics, logs.
    # photo_store "s3" keeps photos in an S3-compatible bucket (MinIO, Aliyun OSS, Huawei OBS, Tencent COS,
    # AWS) instead of photo_dir; path-style addressing suits MinIO and most on-premises stores.
    photo_store: Literal["local", "s3"] = "local"
    s3_endpoint_url: str | None = None
    s3_bucket: str | None = None
    s3_prefix: str = Field(default="", pattern=r"^([A-Za-z0-9._-]+/)*$")
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_addressing_style: Literal["path", "virtual", "auto"] = "path"
    s3_connect_timeout_s: float = Field(default=5.0, gt=0)
    s3_read_timeout_s: float = Field(default=30.0, gt=0)
    s3_max_attempts: int = Field(default=3, ge=1)
    # /metrics: with a token, only `Authorization: Bearer <token>` may read it; without one, only
    # clients on this machine (loopback). Figures read from the database are cached this long.
    metrics_token: SecretStr | None = None
    metrics_cache_s: float = Field(default=15.0, ge=0)
    # Logs: "text" for people, "json" (one object a line, with the request id) for a log collector.
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # OGC API and exports: features per items page when the client names no limit (at most
    # ogc_max_limit), the side in metres of the hotspot cells collection's squares, and the rows
    # at most in one export file.
    ogc_default_limit: int = Field(default=100, ge=1)
    ogc_max_limit: int = Field(default=10_000, ge=1)
    ogc_hotspot_cell_m: float = Field(default=500.0, ge=50, le=50_000)
    export_max_rows: int = Field(default=200_000, ge=1)

    # API speed: worker processes of ``ecogrid serve`` (None: one per core) and each process's connection pool.
    # ``ecogrid serve`` sizes the pools so that all workers together stay under the server's max_connections.
    workers: int | None = Field(default=None, ge=1, le=64)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)

    # Webhooks: the dispatcher in each API process, how long one delivery may take, retries and their backoff.
    webhook_dispatch: bool = True
    webhook_poll_s: float = Field(default=2.0, gt=0, le=300)
    webhook_timeout_s: float = Field(default=5.0, gt=0, le=60)
    webhook_batch: int = Field(default=20, ge=1, le=500)
    webhook_concurrency: int = Field(default=4, ge=1, le=32)
    webhook_retry_base_s: int = Field(default=30, ge=1)
    webhook_retry_max_s: int = Field(default=6 * 3600, ge=1)
    webhook_max_attempts: int = Field(default=10, ge=1, le=100)
    # Open311 service discovery (/open311/discovery.json): who integrators write to, and how they get a key.
    open311_contact: str = "生态环境局信访投诉受理科 (the bureau's complaints office)"
    open311_key_service: str = ("API keys are issued by the bureau's administrator (ecogrid apikeys create "
                                "NAME); send the key as api_key with POST requests.")
    # Online monitoring (ecogrid.monitoring): the HJ 212 listener, alarms, readings beside cases.
    # The listener binds here; stations are told this address and port by the bureau.
    monitoring_listen_host: str = "127.0.0.1"
    monitoring_listen_port: int = Field(default=9212, ge=0, le=65535)
    # Flood bounds: connections at once, silence before a connection is closed, refused packets and
    # bytes that are not packets per connection before it is closed, packets stored at once.
    monitoring_max_connections: int = Field(default=200, ge=1)
    monitoring_idle_timeout_s: float = Field(default=600.0, gt=0)
    monitoring_max_refusals: int = Field(default=20, ge=1)
    monitoring_max_garbage_bytes: int = Field(default=64 * 1024, ge=1024)
    monitoring_max_concurrent_writes: int = Field(default=4, ge=1)
    # Exceedances of one station and pollutant closer together than this are one alarm.
    monitoring_alarm_merge_minutes: int = Field(default=60, ge=1)
    # Intervals judged against limits (real-time values are too noisy to raise alarms on).
    monitoring_alarm_intervals: list[Literal["rtd", "minute", "hour", "day"]] = ["minute", "hour", "day"]
    # Monitors this close to a case are shown beside it; readings this long before and after its complaints.
    monitoring_nearby_radius_m: float = Field(default=3000.0, gt=0)
    monitoring_window_hours: int = Field(default=6, ge=1, le=72)
    # Rows in one readings or weather import (HTTP body or CSV file).
    monitoring_import_max_rows: int = Field(default=10_000, ge=1)
    # Duty roster (值班): office hours of a working day (the working days are ecogrid.cases.deadlines'); an
    # urgent complaint received outside them is recorded for the person on duty.
    duty_office_start: time = time(8, 30)
    duty_office_end: time = time(17, 30)

    # Revisit tasks (回访): a scheduled revisit this many days after a closing; the share of a quarter's closed
    # cases drawn for a sample revisit; a case under rectification this long with no contact is due a progress notice.
    revisit_after_days: int = Field(default=30, ge=1, le=366)
    revisit_sample_rate: float = Field(default=0.10, gt=0, le=1)
    revisit_progress_notice_days: int = Field(default=15, ge=1, le=366)

    # Case documents (文书): the issuing bureau's name in the header of a rectification notice or a reply letter.
    bureau_name: str = "生态环境局"

    @field_validator("base_map")
    @classmethod
    def _known_base_map(cls, value: str) -> str:
        from maps.render import load_base_layers

        known = load_base_layers()
        if value not in known:
            raise ValueError(f"unknown base map {value!r}; one of {', '.join(sorted(known))}")
        return value

    @model_validator(mode="after")
    def _refuse_weak_secret(self) -> Settings:
        if self.secret_key == DEFAULT_SECRET:
            raise ValueError("ECOGRID_SECRET_KEY is the publicly known old default; set a random value or unset it")
        if self.mode == "production" and (self.secret_key is None or len(self.secret_key) < MIN_SECRET_LENGTH):
            raise ValueError(f"ECOGRID_SECRET_KEY must be set to a random value of at least {MIN_SECRET_LENGTH} "
                             "characters in production")
        return self

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @property
    def photo_dir(self) -> Path:
        """Where photo evidence is stored: ECOGRID_UPLOAD_DIR, or `uploads` in the data folder.

        Not the working directory: two instances started from one folder would share a store,
        and `uploads check --fix` on one would delete the other's files as orphans.
        """
        return self.upload_dir if self.upload_dir is not None else self.data_dir / "uploads"


@lru_cache
def get_settings() -> Settings:
    return Settings()
