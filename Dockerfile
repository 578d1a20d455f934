# kapcare: gunicorn on port 8000 as an unprivileged user. The systemd path (docs/deploy.md) does
# not need this image; it is the same application and settings, from the same environment.
FROM python:3.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=kapcare.settings
# WeasyPrint's Pango; the PostgreSQL client tools for manage.py backup / restore.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 postgresql-client git \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --create-home --home-dir /app kapcare
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY --chown=kapcare:kapcare . .
# collectstatic needs settings, not secrets: a throwaway key for this one build step.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && mkdir -p var/media && chown -R kapcare:kapcare var
USER kapcare
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,os; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:8000/healthz', headers={'Host': os.environ.get('ALLOWED_HOSTS','localhost').split(',')[0]}))"
CMD ["gunicorn", "kapcare.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "--error-logfile", "-"]
