"""
luggage_tools.image: a service's runtime image read from its image.toml,
every value checked before a shell reads it, one line per problem.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from luggage_tools.image import ImageError, main, read_image

PEX_TOML = """\
output = "dist/fortune.pex"
console_script = "twistd"
interpreter_constraint = "CPython==3.13.*"
python_version = "3.13"
pip_version = "26.2.1"
requirements_lock = "deploy/requirements.lock"
build_requirements_lock = "deploy/build.lock"
build_requirements = ["pex"]
"""


def _project(tmp_path: Path, image: str, pex: str = PEX_TOML) -> Path:
    (tmp_path / ".git").mkdir(parents=True)
    service = tmp_path / "services" / "fortune"
    (service / "deploy").mkdir(parents=True)
    (service / "pyproject.toml").write_text('[project]\nname = "f"\nversion = "1.2"\n')
    (service / "deploy" / "image.toml").write_text(image)
    (service / "deploy" / "pex.toml").write_text(pex)
    return service / "deploy" / "image.toml"


def test_only_the_service_is_required(tmp_path: Path) -> None:
    image = read_image(_project(tmp_path, 'service = "fortune"\n'))
    assert (image.plugin, image.port, image.arguments, image.imports) == (
        "fortune",
        8000,
        (),
        (),
    )
    assert image.version == "1.2"  # the project's own
    assert image.entrypoint == [
        "/opt/fortune/pex", "-n", "--pidfile=", "--logger", "luggage.jsonlog.observer",
        "fortune",
    ]  # fmt: skip
    assert image.signing_namespace == "fortune-release"
    assert image.context == ("services/fortune",)
    assert image.build_lock == "services/fortune/deploy/build.lock"


def test_local_projects_are_in_the_context_and_overrides_win(tmp_path: Path) -> None:
    path = _project(
        tmp_path,
        'service = "fortune"\nport = 8080\narguments = ["--environment", "demo"]\n',
        PEX_TOML + 'local_projects = ["../../luggage"]\n',
    )
    image = read_image(path, service="other", port="9000", version="2.0rc1")
    assert image.context == ("services/fortune", "luggage")
    assert (image.service, image.port, image.version) == ("other", 9000, "2.0rc1")
    lines = dict(line.split("=", 1) for line in image.lines())
    assert json.loads(lines["cmd"]) == ["--environment", "demo"]
    assert lines["namespace"] == "other-release"


def test_a_version_from_setup_cfg(tmp_path: Path) -> None:
    path = _project(tmp_path, 'service = "fortune"\n')
    project = path.parents[1]
    (project / "pyproject.toml").write_text("[build-system]\n")
    (project / "setup.cfg").write_text("[metadata]\nversion = 0.3.0\n")
    assert read_image(path).version == "0.3.0"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "service: missing"),
        ('service = "Fortune"\n', "service: 'Fortune' must match"),
        ('service = "a/../b"\n', "must match"),
        ('service = "fortune"\nport = 0\n', "port: 0 is not a port"),
        ('service = "fortune"\nport = 65536\n', "is not a port"),
        ('service = "fortune"\nport = true\n', "port: True is not a port"),
        ('service = "fortune"\nport = 8e3\n', "port: 8000.0 is not a port"),
        ('service = "fortune"\nport = nan\n', "port: nan is not a port"),
        ('service = "fortune"\nport = 9007199254740993\n', "is not a port"),
        ('service = "fortune"\nplugin = "a b"\n', "plugin: 'a b' must match"),
        ('service = "fortune"\nimports = ["os; rm"]\n', "imports: must be a list"),
        ('service = "fortune"\narguments = ["a\\nb"]\n', "arguments: must be a list"),
        ('service = "fortune"\narguments = "--x"\n', "arguments: must be a list"),
        ('service = "fortune"\ndescription = "a\\nEXPOSE 1"\n', "description: not one"),
        ('service = "fortune"\nentrypoint = ["sh"]\n', "unknown keys: entrypoint"),
        ("service = [[[[", "image.toml:"),
        (b"\xff", "image.toml:"),
        (b"service = 'fortune'\ndescription = '\xc3'\n", "image.toml:"),
    ],
)
def test_a_bad_value_is_one_line_naming_it(
    tmp_path: Path,
    text: str | bytes,
    problem: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = _project(tmp_path, "")
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ImageError) as raised:
        read_image(path)
    assert problem in str(raised.value)
    assert main([str(path)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("image: ") and error.count("\n") == 1, error


def test_a_local_project_outside_the_repository_is_refused(tmp_path: Path) -> None:
    path = _project(
        tmp_path / "repo",
        'service = "fortune"\n',
        PEX_TOML + 'local_projects = ["../../../../elsewhere"]\n',
    )
    with pytest.raises(ImageError, match="is outside the repository"):
        read_image(path)


@given(st.text(max_size=40))
def test_no_description_puts_a_second_line_in_the_output(description: str) -> None:
    # What a shell reads is one key=value a line, whatever the file says.
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = _project(Path(folder), "")
        path.write_text(
            f"service = 'fortune'\ndescription = {json.dumps(description)}\n"
        )
        try:
            lines = read_image(path).lines()
        except ImageError:
            return
        assert all("\n" not in line and "\r" not in line for line in lines)
        assert len(lines) == len({line.split("=", 1)[0] for line in lines})
