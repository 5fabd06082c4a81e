# The API image. The database is a separate PostGIS service (docker-compose.yml).
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm postgresql-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY ecogrid ecogrid
COPY api api
COPY geo geo
COPY maps maps
COPY migrations migrations
RUN pip install --no-cache-dir -e . && python -m maps.assets install
ENV ECOGRID_UPLOAD_DIR=/data/uploads ECOGRID_HOST=0.0.0.0
EXPOSE 8000
CMD ["ecogrid", "serve"]
