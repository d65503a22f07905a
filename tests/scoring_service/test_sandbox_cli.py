"""``nongxin sandbox generate``, ``nongxin sandbox bayes-auc`` and ``nongxin demo``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scoring_service.cli import main
from scoring_service.sandbox import bayes_auc


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit, match=r"^\d+$|^None$") as info:
        main(argv)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_bayes_auc_prints_the_ceiling(
    small_province: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(["sandbox", "bayes-auc", str(small_province)], capsys)
    assert code == 0
    assert float(out) == pytest.approx(bayes_auc(small_province), abs=5e-5)


def test_generate_writes_a_province_and_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "p"
    argv = [
        "sandbox",
        "generate",
        "--households",
        "60",
        "--banks",
        "2",
        "--seed",
        "5",
        "--out",
        str(out_dir),
    ]
    code, out, _ = _run([*argv, "--as-of", "2025-12-31"], capsys)
    assert code == 0
    assert "60 households at 2 banks" in out
    assert "survey date 2025-12-31" in out
    assert "Bayes AUC" in out
    assert len(list((out_dir / "reports" / "pboc").iterdir())) == 60


BAD = [
    (["--households", "0", "--banks", "2", "--seed", "1"], "SANDBOX_ARGUMENT", "'households'"),
    (["--households", "-3", "--banks", "2", "--seed", "1"], "SANDBOX_ARGUMENT", "'households'"),
    (["--households", "5", "--banks", "0", "--seed", "1"], "SANDBOX_ARGUMENT", "'banks'"),
    (["--households", "5", "--banks", "1", "--seed", "-1"], "SANDBOX_ARGUMENT", "'seed'"),
    (["--households", "five", "--banks", "1", "--seed", "1"], "USAGE", "--households"),
    (["--households", "5", "--banks", "1", "--seed", "1", "--bogus"], "USAGE", "No such option"),
    (
        ["--households", "5", "--banks", "1", "--seed", "1", "--as-of", "2026-02-30"],
        "USAGE",
        "--as-of",
    ),
    (["--banks", "1", "--seed", "1"], "USAGE", "Missing option '--households'"),
]


@pytest.mark.parametrize(("args", "code", "message"), BAD)
def test_bad_input_is_one_line_and_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: str, message: str
) -> None:
    status, out, err = _run(["sandbox", "generate", "--out", str(tmp_path / "p"), *args], capsys)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"error[{code}]: ")
    assert message in err
    assert list(tmp_path.iterdir()) == []


def test_non_empty_or_unwritable_output_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x", encoding="utf-8")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    for target in (tmp_path / "full", tmp_path / "file", tmp_path / "file" / "below"):
        argv = [
            "sandbox",
            "generate",
            "--households",
            "5",
            "--banks",
            "1",
            "--seed",
            "1",
            "--out",
            str(target),
        ]
        status, _, err = _run(argv, capsys)
        assert status == 2
        assert err.startswith("error[SANDBOX_OUTPUT]: ")
        assert err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "full"]
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["keep.txt"]


def test_unknown_subcommand_and_missing_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = _run(["sandbox", "frobnicate"], capsys)
    assert (status, err.count("\n")) == (2, 1)
    assert err.startswith("error[USAGE]: ")
    status, _, err = _run(["sandbox", "bayes-auc", str(tmp_path / "none")], capsys)
    assert (status, err.count("\n")) == (2, 1)
    status, _, err = _run(["sandbox", "bayes-auc", str(tmp_path)], capsys)
    assert (status, err.count("\n")) == (2, 1)
    assert err.startswith("error[SANDBOX_INPUT]: ")


def test_console_script_exit_status(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("nongxin")
    result = subprocess.run(
        [str(script), "sandbox", "generate", "--households", "0", "--banks", "1", "--seed", "1", "--out", str(tmp_path / "p")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error[SANDBOX_ARGUMENT]: ")
    assert list(tmp_path.iterdir()) == []


def test_demo_generates_and_replaces_the_demo_province(
    nongxin_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for households in (40, 30):
        status, out, _ = _run(["demo", "--households", str(households)], capsys)
        assert status == 0
        assert f"{households} households at 3 banks" in out
        assert str(nongxin_home / "sandbox") in out
        assert len(list((nongxin_home / "sandbox" / "reports" / "pboc").iterdir())) == households
    assert [p.name for p in nongxin_home.iterdir()] == ["sandbox"]
    status, _, err = _run(["demo", "--households", "0"], capsys)
    assert status == 2
    assert err.startswith("error[SANDBOX_ARGUMENT]: ")
