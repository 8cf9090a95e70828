import pytest

from anatomy import demo
from tests.conftest import make_user

GLUTEUS_MEDIUS = "/anatomy/lower-extremity-muscles/gluteal-and-hip-rotator-muscles/gluteus-medius/"


@pytest.fixture
def library(db):
    """The demo library of PRODUCT.md, written by a staff author."""
    author = make_user("author@test.example", is_staff=True, first_name="Dana", last_name="Whitfield")
    demo.load(author_user=author)
    return author
