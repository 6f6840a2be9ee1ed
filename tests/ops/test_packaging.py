"""The README's install (``pip install .``, not editable) carries every page and asset."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = textwrap.dedent("""
    import hotline, sys
    from pathlib import Path
    assert Path(hotline.__file__).resolve().is_relative_to(Path(sys.prefix).resolve()), \\
        hotline.__file__
    from hotline.app import create_app
    from hotline.schema import upgrade
    app = create_app({"DATABASE_URL": "sqlite:///" + sys.argv[1], "SECRET_KEY": "x" * 32,
                      "TESTING": True, "INSTANCE_PATH": sys.argv[2]})
    with app.app_context():
        upgrade()
    client = app.test_client()
    page = client.get("/")
    css = client.get("/static/css/app.css")
    print(page.status_code, css.status_code, len(css.data))
""")


@pytest.mark.slow
def test_wheel_serves_pages_and_static_files(tmp_path):
    """Build the wheel offline, install it alone into a fresh venv that borrows this venv's
    dependencies through a ``.pth`` line (not its editable hotline), and serve a page and a
    stylesheet from the installed package."""
    # Build from a copy: setuptools leaves build/ and *.egg-info beside the sources.
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", "instance", "tests",
        "bench", "node_modules", ".hypothesis"))
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--no-index", "-q", "-w", str(dist), str(source)],
                   check=True, cwd=tmp_path, timeout=300)
    wheel = next(dist.glob("hotline-*.whl"))

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.check_output(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        text=True).strip())
    # A bare path line: the borrowed site-packages' own .pth files (the editable hotline)
    # are not processed, so only the wheel's hotline is importable.
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                    "--target", str(site), str(wheel)], check=True, timeout=300)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "PYTHON"))}
    out = subprocess.run([python, "-c", PROBE, str(tmp_path / "db.sqlite"),
                          str(tmp_path / "instance")],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    page, css, size = out.stdout.split()[-3:]
    assert (page, css) == ("200", "200") and int(size) > 0
