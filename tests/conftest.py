import shutil
from pathlib import Path

import pytest

from gktool.filldata import load_fill
from gktool.spec import load_spec
from gktool.writers.workbook import new_workbook

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_JSON = ROOT / "examples" / "zhongning-2023.json"


@pytest.fixture(scope="session")
def spec():
    return load_spec()


@pytest.fixture(scope="session")
def blank_workbook(tmp_path_factory, spec):
    path = tmp_path_factory.mktemp("blank") / "blank.xlsx"
    return new_workbook(spec, path, unit="测试县", year=2023)


@pytest.fixture(scope="session")
def example_values(spec):
    return load_fill(spec, EXAMPLE_JSON)


@pytest.fixture(scope="session")
def filled_workbook(tmp_path_factory, spec, example_values):
    path = tmp_path_factory.mktemp("filled") / "filled.xlsx"
    return new_workbook(spec, path, values=example_values)


SLOW = ("libreoffice", "browser", "fuzz")  # `python -m pytest -m "not slow"` leaves these out; CI runs them all


def pytest_collection_modifyitems(config, items):
    for item in items:
        if any(mark in item.keywords for mark in SLOW):
            item.add_marker(pytest.mark.slow)
    # Modules with the most slow tests first, each module kept together (its fixtures are built once): under
    # `pytest -n` the long tests start early and the many short ones fill in at the end, instead of one long
    # test running alone while the other workers wait.
    slow_in = {}
    for item in items:
        slow_in[item.module] = slow_in.get(item.module, 0) + ("slow" in item.keywords)
    items.sort(key=lambda item: -slow_in[item.module])
    if shutil.which("soffice") is None:
        skip = pytest.mark.skip(reason="LibreOffice (soffice) not installed")
        for item in items:
            if "libreoffice" in item.keywords:
                item.add_marker(skip)
