"""The committed model files are exactly what the generator writes from the tables today."""

from __future__ import annotations

from maniptrans_description.generate import generated_files, main, stale_files
from maniptrans_description.paths import MODEL_NAMES, source_dir


def test_committed_model_files_are_what_the_generator_writes_now():
    root = source_dir()
    assert root is not None
    assert set(generated_files()) >= {f"urdf/{n}.urdf" for n in MODEL_NAMES}
    assert stale_files(root) == [], "generated files are stale: run `make models` and commit"


def test_generation_is_deterministic():
    assert generated_files() == generated_files()


def test_a_changed_file_is_reported_stale(tmp_path):
    files = generated_files()
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    assert stale_files(tmp_path) == []
    victim = next(iter(files))
    (tmp_path / victim).write_text(files[victim].replace("0.2405", "0.2406"))
    assert stale_files(tmp_path) == [victim]
    (tmp_path / victim).unlink()
    assert stale_files(tmp_path) == [victim]


def test_check_mode_exits_zero_on_the_committed_tree(capsys):
    assert main(["--check"]) == 0
    assert "stale" not in capsys.readouterr().out
