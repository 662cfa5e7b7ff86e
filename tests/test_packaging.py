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
