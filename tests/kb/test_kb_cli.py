"""``hotline kb import`` / ``export``: a city loads its base and takes it out again."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from hotline.cli import main

pytestmark = pytest.mark.committing  # the command builds its own app and engine


@pytest.fixture
def cli(app, monkeypatch):
    """Run ``hotline ...`` against the test app's database."""
    for key in ("DATABASE_URL", "REDIS_URL", "INSTANCE_PATH", "SECRET_KEY"):
        monkeypatch.setenv(f"HOTLINE_{key}", str(app.config[key]))

    def run(*args: str):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    return run


def test_import_then_export_as_excel(cli, client, tmp_path):
    source = tmp_path / "base.csv"
    source.write_text("title,questions,answer,status\n"
                      "居住证办理,暂住证咋个办|外地人要办啥证,到派出所办理,published\n"
                      "草稿一条,问,答,draft\n", encoding="utf-8")
    result = cli("kb", "import", str(source))
    assert result.exit_code == 0 and "2 created" in result.output
    found = client.get("/api/v1/kb/search?q=外地人").get_json()["items"]
    assert [i["title"] for i in found] == ["居住证办理"]
    out = tmp_path / "out.xlsx"
    assert cli("kb", "export", str(out)).exit_code == 0
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["居住证办理", "草稿一条"]
    assert [r[11] for r in rows[1:]] == ["published", "draft"]


def test_a_bad_file_is_a_clear_error(cli, tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text("title,answer\n,没有标题\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["kb", "import", str(source)])
    assert result.exit_code != 0 and "Traceback" not in result.output
