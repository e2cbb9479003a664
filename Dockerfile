# Price Runner: gunicorn serving the Flask app on $PORT (default 3001).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=3001 \
    TIKTOKEN_CACHE_DIR=/app/.tiktoken_cache

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY app/ app/
COPY scripts/ scripts/
COPY models.csv quality.csv wsgi.py gunicorn.conf.py secrets.yaml.example ./
# Fetch the tiktoken encodings now, so the running service never downloads anything.
RUN python scripts/tiktoken_cache.py --download --to "$TIKTOKEN_CACHE_DIR" \
    && useradd --system --uid 10001 --no-create-home pricerunner

USER pricerunner
EXPOSE 3001
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"3001\")}/health', timeout=2)"
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
