import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_the_models_and_the_migrations_agree():
    """A model change without its migration (or a model whose state is unstable between runs,
    such as a constraint built from a set) would leave makemigrations wanting to write one."""
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
