import pytest
from helpers import EXAMPLE, invoke


@pytest.fixture(scope="session")
def example_folder(tmp_path_factory):
    """The bundled example solved into a plan folder by the CLI, once; tests that change it copy it first."""
    out = tmp_path_factory.mktemp("example") / "q1"
    result = invoke("solve", EXAMPLE, "--out", out)
    assert result.exit_code == 0, result.output
    return out
