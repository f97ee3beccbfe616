"""The journey's fixtures (a learner), shared with the learning tests."""

from tests.learning.conftest import learner

__all__ = ["learner"]
