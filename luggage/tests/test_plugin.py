"""
luggage.plugin, what any twistd plugin's options need: one-line usage
errors, the configuration from a file or a shipped environment, its TOML,
and endpoints refused at start.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.testing import MemoryReactor
from twisted.python import usage
from twisted.trial.unittest import SynchronousTestCase

from luggage.plugin import (
    ConfiguredOptions,
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


class _Weather(ConfiguredOptions):
    command = "twistd weather"
    service = "weather"
    optParameters = [["port", "p", None, "a port"]]

    def configure(self, source: str, document: dict[str, Any], keys: Any) -> None:
        self.read = (source, document, keys)


class ConfiguredOptionsTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.folder = scratch_folder(self)
        (self.folder / "demo.toml").write_text("listen = 'tcp:8000'\n")
        (self.folder / "demo.key").write_text("not read here\n")
        (self.folder / "production.toml").write_text("listen = 'tcp:80'\n")
        self.file = self.folder / "mine.toml"
        self.file.write_text("listen = 'tcp:1'\n")

    def _parsed(self, *argv: str) -> _Weather:
        options = _Weather(self.folder, {"WEATHER_SECRET_KEY": "k"})
        options.parseOptions(list(argv))
        return options

    def test_the_default_environment_and_its_committed_key(self) -> None:
        source, document, keys = self._parsed().read
        self.assertEqual(
            (source, document), ("environment demo", {"listen": "tcp:8000"})
        )
        self.assertEqual(keys.service, "weather")
        self.assertEqual(keys.fallback, self.folder / "demo.key")
        self.assertEqual(keys.environ, {"WEATHER_SECRET_KEY": "k"})

    def test_the_committed_key_opens_the_demo_alone(self) -> None:
        # Another environment, a file, or a key file named: never the demo's.
        for argv in (
            ["-e", "production"],
            ["-c", str(self.file)],
            ["-k", "/run/key", "-e", "demo"],
        ):
            keys = self._parsed(*argv).read[2]
            self.assertIsNone(keys.fallback, argv)
        self.assertEqual(self._parsed("-k", "/run/key").read[2].key_file, "/run/key")

    def test_a_file_instead_of_an_environment(self) -> None:
        source, document, _ = self._parsed("--config", str(self.file)).read
        self.assertEqual((source, document), (str(self.file), {"listen": "tcp:1"}))

    def test_an_environment_and_a_file_at_once_is_one_line(self) -> None:
        error = self.assertRaises(
            SystemExit, self._parsed, "-e", "demo", "-c", str(self.file)
        )
        self.assertEqual(
            str(error),
            "error: give --environment or --config, not both"
            " (twistd weather --help lists the options)",
        )

    def test_options_of_its_own_beside_these(self) -> None:
        self.assertEqual(self._parsed("-p", "80")["port"], "80")

    def test_the_help_names_the_services_key_sources(self) -> None:
        usage_text = str(_Weather(self.folder))
        self.assertIn("/run/secrets/weather", usage_text)
        self.assertIn("$WEATHER_SECRET_KEY", usage_text)
        self.assertIn("[default: demo]", usage_text)

    def test_the_environments_of_the_class_unless_given(self) -> None:
        class Shipped(_Weather):
            environments = self.folder

        options = Shipped()
        options.parseOptions(["-e", "production"])
        self.assertEqual(options.read[1], {"listen": "tcp:80"})
