"""
luggage.plugin, what any twistd plugin's options need: one-line usage
errors, the configuration from a file or a shipped environment, its TOML,
and endpoints refused at start.
"""

from __future__ import annotations

from twisted.internet.testing import MemoryReactor
from twisted.python import usage
from twisted.trial.unittest import SynchronousTestCase

from luggage.plugin import (
    OneLineOptions,
    check_endpoint,
    configuration_text,
    parse_toml,
)
from luggage.testing import scratch_folder


class _Options(OneLineOptions):
    command = "twistd weather"
    optParameters = [["port", "p", None, "a port"]]

    def postOptions(self) -> None:
        if self["port"] is not None and not self["port"].isdigit():
            raise usage.UsageError(f"--port: {self['port']!r} is not a number")


class OneLineTests(SynchronousTestCase):
    def test_a_usage_error_is_one_line_naming_the_command(self) -> None:
        error = self.assertRaises(SystemExit, _Options().parseOptions, ["-p", "x\ny"])
        self.assertEqual(
            str(error),
            "error: --port: 'x\\ny' is not a number"
            " (twistd weather --help lists the options)",
        )

    def test_an_unknown_option_too(self) -> None:
        error = self.assertRaises(SystemExit, _Options().parseOptions, ["--nope"])
        self.assertTrue(str(error).startswith("error: option --nope not recognized"))


class ConfigurationTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.folder = scratch_folder(self)
        (self.folder / "demo.toml").write_text("listen = 'tcp:8000'\n")
        (self.folder / "production.toml").write_text("listen = 'tcp:80'\n")

    def test_an_environment_shipped_as_package_data(self) -> None:
        source, text = configuration_text(None, "demo", self.folder)
        self.assertEqual((source, text), ("environment demo", "listen = 'tcp:8000'\n"))

    def test_an_unknown_environment_names_those_known(self) -> None:
        for name in ("staging", "../demo", ""):
            error = self.assertRaises(
                usage.UsageError, configuration_text, None, name, self.folder
            )
            self.assertIn("known: demo, production", str(error))

    def test_a_file_named_comes_instead(self) -> None:
        path = self.folder / "mine.toml"
        path.write_bytes(b"a = 1\n")
        self.assertEqual(
            configuration_text(str(path), "demo", None), (str(path), "a = 1\n")
        )
        path.write_bytes(b"\xff")
        error = self.assertRaises(
            usage.UsageError, configuration_text, str(path), "", None
        )
        self.assertIn("can't read it", str(error))

    def test_no_environments_shipped(self) -> None:
        error = self.assertRaises(
            usage.UsageError, configuration_text, None, "demo", None
        )
        self.assertIn("use --config", str(error))

    def test_toml_errors_are_one_usage_error(self) -> None:
        self.assertEqual(parse_toml("f", "a = 1"), {"a": 1})
        for text in ("a = ", "a = " + "[" * 10_000 + "]" * 10_000):
            self.assertRaises(usage.UsageError, parse_toml, "f", text)


class EndpointTests(SynchronousTestCase):
    def test_a_bad_description_names_the_setting(self) -> None:
        check_endpoint(MemoryReactor(), "listen", "tcp:8000")
        for description in (
            "tcp:notaport",
            "nosuch:1",
            "ssl:443:privateKey=/nonexistent",
        ):
            error = self.assertRaises(
                usage.UsageError, check_endpoint, MemoryReactor(), "listen", description
            )
            self.assertTrue(str(error).startswith("listen: not a usable endpoint"))
