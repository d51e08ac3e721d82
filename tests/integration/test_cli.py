"""The CLI commands, through Flask's CLI runner."""
import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import Compound, Dwelling, Staff
from tests.builders import csv_bytes, id_number


def test_import_roll_command_imports_and_reports(app, world, tmp_path):
    path = tmp_path / "roll.csv"
    path.write_bytes(csv_bytes([["2", "1", "301", "70.5", "", "", "王五", id_number(3), "", "否", "是"]],
                               encoding="gbk"))
    preview = app.test_cli_runner().invoke(args=["registry", "import-roll", str(path), "--compound",
                                                 str(world.compound_a.id), "--dry-run"])
    assert preview.exit_code == 0 and preview.output.startswith("Would import 1 rows")
    assert db.session.scalar(select(func.count()).select_from(Dwelling)) == 0
    result = app.test_cli_runner().invoke(args=["registry", "import-roll", str(path), "--compound",
                                                str(world.compound_a.id)])
    assert result.exit_code == 0, result.output
    assert "owners 1 created" in result.output and "dwellings 1 created" in result.output
    assert db.session.scalar(select(func.count()).select_from(Dwelling)) == 1


def test_import_roll_command_names_the_row_and_column_and_imports_nothing(app, world, tmp_path):
    path = tmp_path / "roll.csv"
    path.write_bytes(csv_bytes([["2", "1", "301", "70.5", "", "", "王五", "123", "", "否", "是"]]))
    result = app.test_cli_runner().invoke(args=["registry", "import-roll", str(path), "--compound",
                                                str(world.compound_a.id)])
    assert result.exit_code == 1
    assert "第 2 行, 证件号码" in result.output
    assert db.session.scalar(select(func.count()).select_from(Dwelling)) == 0


def test_import_roll_command_for_a_missing_compound_fails(app, tmp_path):
    path = tmp_path / "roll.csv"
    path.write_bytes(csv_bytes([["2", "1", "301", "70.5", "", "", "王五", id_number(3), "", "否", "是"]]))
    result = app.test_cli_runner().invoke(args=["registry", "import-roll", str(path), "--compound", "42"])
    assert result.exit_code == 1
    assert "42" in result.output


@pytest.mark.slow  # seeds a whole province
def test_demo_seed_builds_a_province_and_prints_logins(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "yulinbei" in result.output and "committee" in result.output
    sizes = sorted(db.session.scalars(select(Compound.households)).all())
    assert sizes[0] == 24 and sizes[-1] == 2000
    assert db.session.scalar(select(func.count()).select_from(Staff)) >= 6
    again = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert "already has data" in again.output
    assert db.session.scalar(select(func.count()).select_from(Compound)) == 6


def test_staff_create_command_refuses_a_role_that_does_not_fit_the_region(app, world):
    result = app.test_cli_runner().invoke(args=["staff", "create", "bad", "--name", "x", "--role", "county",
                                                "--region", str(world.community_a.id), "--password",
                                                "long enough pw"])
    assert result.exit_code == 1
    assert db.session.scalar(select(Staff).where(Staff.username == "bad")) is None
