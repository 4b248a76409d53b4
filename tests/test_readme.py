"""Every Python code block in README.md runs, in order, in one namespace."""
import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_readme_has_the_two_commands():
    shell = re.findall(r"```sh\n(.*?)```", README.read_text(), re.S)
    assert any("examples/train_digits.py" in block for block in shell)
    assert any("pytest" in block and ".[test]" in block for block in shell)


def test_every_python_block_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    import kerasette
    kerasette.backend.clear_session()   # names count from zero, as in a fresh interpreter
    blocks = python_blocks()
    assert len(blocks) >= 6
    namespace = {"__name__": "readme"}
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        for number, block in enumerate(blocks, 1):
            exec(compile(block, f"README.md block {number}", "exec"), namespace)
    printed = output.getvalue()
    assert "Total params: 21,840" in printed
    assert "tensor([6.], grad_fn=<MulBackward>)" in printed
    assert 'Tensor("mul:0", shape=(1,), dtype=float32)' in printed


def test_readme_has_no_placeholder_left():
    text = README.read_text()
    assert "PERFORMANCE_TABLE" not in text and "TODO" not in text
