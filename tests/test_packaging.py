"""Every data file the code reads at run time is shipped in the wheel (`setup.cfg` package_data):
an installed (not editable) Loupe must not miss a grammar, as CI's e2e tests would otherwise show
only as 500s."""
import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_data_file_is_package_data():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    declared = {package: [p.strip() for p in patterns.split(",")]
                for package, patterns in config["options.package_data"].items()}
    missing = []
    for top in ("engine", "server"):
        for path in (ROOT / top).rglob("*"):
            if not path.is_file() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            package = ".".join(path.parent.relative_to(ROOT).parts)
            if not any(path.match(pattern) for pattern in declared.get(package, [])):
                missing.append(str(path.relative_to(ROOT)))
    assert missing == []


def test_data_files_live_in_packages():
    """setuptools ships package_data only for packages it finds (`packages = find:` needs an
    `__init__.py`): a data folder without one, like server/preview/ would be, vanishes from the wheel."""
    for top in ("engine", "server"):
        for path in (ROOT / top).rglob("*"):
            if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts:
                assert (path.parent / "__init__.py").is_file(), path.relative_to(ROOT)


def test_the_search_preview_is_shipped():
    """The built page (issue 17) is package data: an installed Loupe serves it without Node.js."""
    from setuptools import find_packages
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    include = config["options.packages.find"]["include"].split()
    assert "server.preview" in find_packages(str(ROOT), include=include)
    patterns = [p.strip() for p in config["options.package_data"]["server.preview"].split(",")]
    for name in ("index.html", "app.js", "app.css", "SOURCES.sha256"):
        assert (ROOT / "server" / "preview" / name).is_file()
        assert any(Path(name).match(pattern) for pattern in patterns), name
