"""Loading the officials' mailboxes from a CSV or Excel file: on the admin page and with
``hotline mailbox import``; every bad row named by row and field, nothing half loaded, the
same file twice changes nothing."""

from __future__ import annotations

import io
import re

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import func, select

from hotline.cli import main
from hotline.extensions import db
from hotline.models import LeaderMailbox
from hotline.services import mailbox_import
from hotline.unit_of_work import unit_of_work

HEADER = "code,name,holder,kind,office,intro,position,active\n"
GOOD = (HEADER
        + "mayor,市长信箱,市长 王某某,mayor,URBAN,,1,1\n"
        + "official-0001,张三信箱,副区长 张三,official,HOUSING,,10,\n"
        + "official-0002,李四信箱,局长 李四,department_head,URBAN,分管城管,11,是\n")


def officials(count: int) -> str:
    return HEADER + "".join(f"official-{n:04d},干部{n}信箱,干部{n},official,URBAN,,{n},1\n"
                            for n in range(1, count + 1))


def load(text: str, name: str = "mailboxes.csv") -> mailbox_import.ImportReport:
    with unit_of_work():
        return mailbox_import.import_rows(
            mailbox_import.read_file(text.encode("utf-8-sig"), name))


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(LeaderMailbox))


def test_a_file_loads_and_loading_it_again_changes_nothing(world):
    first = load(GOOD)
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0) and first.ok
    again = load(GOOD)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    changed = load(GOOD.replace("张三信箱", "张三（副区长）信箱"))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 2)
    box = db.session.scalars(select(LeaderMailbox).where(
        LeaderMailbox.code == "official-0002")).one()
    assert box.kind.value == "department_head" and box.office.code == "URBAN"
    assert box.position == 11 and box.active and box.intro == "分管城管"


def test_every_bad_row_is_named_by_row_and_field_and_nothing_is_written(world):
    report = load(HEADER
                  + "good,好信箱,,official,URBAN,,1,1\n"
                  + "bad code,坏代码,,official,URBAN,,1,1\n"
                  + "no-office,无单位,,official,NOPE,,1,1\n"
                  + "no-name,,,official,URBAN,,1,1\n"
                  + "good,重复,,official,URBAN,,1,1\n"
                  + "odd,奇怪,,emperor,URBAN,,-3,maybe\n")
    assert not report.ok and count() == 0
    assert [(e.row, e.field) for e in report.errors] == [
        (3, "code"), (4, "office"), (5, "name"), (6, "code"), (7, "active")]
    assert report.errors[3].error.params["row"] == 2  # the duplicate names the row it repeats


def test_an_excel_sheet_with_chinese_headers_loads(world):
    book = Workbook()
    sheet = book.active
    sheet.append(["代码", "信箱名称", "职务与姓名", "类别", "阅处单位", "排序", "启用"])
    sheet.append(["secretary", "市委书记信箱", "市委书记", "市委书记", "URBAN", 0, 1])
    sheet.append(["official-9", "干部信箱", None, None, "HOUSING", 3.0, "否"])
    data = io.BytesIO()
    book.save(data)
    with unit_of_work():
        report = mailbox_import.import_rows(mailbox_import.read_file(data.getvalue(), "x.xlsx"))
    assert report.created == 2, [(e.row, e.field, e.error.message) for e in report.errors]
    box = db.session.scalars(select(LeaderMailbox).where(
        LeaderMailbox.code == "official-9")).one()
    assert box.kind.value == "official" and box.position == 3 and not box.active


def test_a_file_without_the_columns_is_refused_on_file(world):
    with pytest.raises(mailbox_import.InvalidInput) as refused:
        load("名字,电话\n张三,123\n")
    assert refused.value.field == "file"


def test_the_admin_page_imports_a_file_and_lists_the_errors(app, world, client, auth):
    auth.login("admin")
    page = client.get("/admin/mailboxes").get_data(as_text=True)
    assert 'id="mailbox-import"' in page and 'type="file"' in page
    done = client.post("/admin/mailboxes/import", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(officials(40).encode()), "officials.csv")})
    assert done.status_code == 200 and count() == 40
    assert "新增 40 个" in done.get_data(as_text=True)
    app.config["PAGE_SIZE"] = 15  # thousands of mailboxes: the list pages and searches
    listed = client.get("/admin/mailboxes?page=3").get_data(as_text=True)
    assert "共 40 个信箱" in listed and "第 3/3 页" in listed
    assert listed.count('name="code" value="official-') == 10
    found = client.get("/admin/mailboxes?q=0017").get_data(as_text=True)
    assert found.count('name="code" value="official-') == 1 and "official-0017" in found
    bad = officials(3).replace("official-0002,", "official 2,")
    refused = client.post("/admin/mailboxes/import", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(bad.encode()), "officials.csv")})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="import-errors"' in html
    assert re.search(r"<td>3</td><td class=\"mono\">code</td>", html)
    assert count() == 40


def test_only_admins_import(world, client, auth):
    auth.login("supervisor")
    answer = client.post("/admin/mailboxes/import", content_type="multipart/form-data",
                         data={"file": (io.BytesIO(GOOD.encode()), "m.csv")})
    assert answer.status_code == 403


@pytest.mark.committing
def test_the_command_imports_and_names_bad_rows(app, world, tmp_path, monkeypatch):
    for key in ("DATABASE_URL", "REDIS_URL", "INSTANCE_PATH", "SECRET_KEY"):
        monkeypatch.setenv(f"HOTLINE_{key}", str(app.config[key]))
    good, bad = tmp_path / "officials.csv", tmp_path / "bad.csv"
    good.write_text(officials(25), encoding="utf-8")
    bad.write_text(officials(2).replace(",URBAN,,2,", ",NOPE,,2,"), encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(main, ["mailbox", "import", str(good)])
    assert first.exit_code == 0 and "25 created, 0 updated, 0 unchanged" in first.output
    again = runner.invoke(main, ["mailbox", "import", str(good)])
    assert "0 created, 0 updated, 25 unchanged" in again.output
    refused = runner.invoke(main, ["mailbox", "import", str(bad)])
    assert refused.exit_code == 1 and "row 3, office" in refused.stderr
    assert "nothing imported" in refused.stderr
