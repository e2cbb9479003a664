# syntax=docker/dockerfile:1
# Price Runner: gunicorn serving the Flask app on $PORT (default 3001). Needs BuildKit.
#
#   docker build -t price-runner .                                       # fetches the encodings
#   docker build --build-context tiktoken=../shared/data/tiktoken -t price-runner .   # offline
#
# The image always holds the exact token encodings: a build that can neither copy nor fetch
# them fails, rather than ship an image that estimates every count.

# The encodings' source: empty unless `--build-context tiktoken=DIR` replaces it.
FROM scratch AS tiktoken

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=3001 \
    HOST=0.0.0.0 \
    TIKTOKEN_CACHE_DIR=/app/.tiktoken_cache

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt \
    && useradd --system --uid 10001 --no-create-home pricerunner

# Encodings before the app code, so a code change does not fetch them again.
COPY scripts/tiktoken_cache.py scripts/
RUN --mount=type=bind,from=tiktoken,target=/tiktoken \
    python scripts/tiktoken_cache.py --from /tiktoken --download --to "$TIKTOKEN_CACHE_DIR"

COPY app/ app/
COPY scripts/ scripts/
COPY models.csv quality.csv price_history.csv service_tiers.csv wsgi.py gunicorn.conf.py secrets.yaml.example ./
RUN mkdir instance && chown pricerunner instance   # the default SQLite database (DATABASE_URL)

USER pricerunner
EXPOSE 3001
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"3001\")}/health', timeout=2)"
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
