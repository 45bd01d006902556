"""
Private keys: written for their owner only, found where the deploy host
keeps them, refused clearly when unusable.
"""

from __future__ import annotations

import os
import stat

from nacl.public import PrivateKey
from twisted.trial.unittest import SynchronousTestCase

from luggage.secrets.keys import (
    PrivateKeyError,
    load_private_key,
    private_key_text,
    read_private_key_file,
    write_new_private_key,
)
from luggage.testing import scratch_folder


class KeyFileTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.folder = scratch_folder(self)

    def test_new_key_file_is_for_its_owner_only(self) -> None:
        path = self.folder / "host.key"
        key = write_new_private_key(str(path))
        self.assertEqual(stat.S_IMODE(path.stat().st_mode), 0o600)
        loaded = read_private_key_file(str(path))
        self.assertEqual(bytes(loaded.key), bytes(key))
        self.assertEqual(loaded.warnings, ())

    def test_existing_key_is_not_overwritten(self) -> None:
        path = self.folder / "host.key"
        path.write_text("precious\n")
        error = self.assertRaises(PrivateKeyError, write_new_private_key, str(path))
        self.assertIn("exists already", str(error))
        self.assertEqual(path.read_text(), "precious\n")

    def test_readable_key_file_is_warned_about(self) -> None:
        path = self.folder / "host.key"
        write_new_private_key(str(path))
        path.chmod(0o644)
        [warning] = read_private_key_file(str(path)).warnings
        self.assertIn("may be read by group or others (mode 644)", warning)

    def test_unusable_key_files_are_refused_by_name(self) -> None:
        garbage = self.folder / "garbage.key"
        garbage.write_text("not a key")
        missing = self.folder / "missing.key"
        for path, expected in (
            (garbage, "does not hold a private key"),
            (missing, "can't read the private key: No such file or directory"),
        ):
            error = self.assertRaises(PrivateKeyError, read_private_key_file, str(path))
            self.assertEqual(str(error).split(": ")[0], str(path))
            self.assertIn(expected, str(error))

    def test_only_a_regular_file_of_a_key_s_size_is_read(self) -> None:
        fifo = self.folder / "fifo.key"
        os.mkfifo(fifo)
        huge = self.folder / "huge.key"
        huge.write_bytes(b"A" * 100_000)
        for path, expected in (
            ("/dev/zero", "not a regular file"),
            (str(fifo), "not a regular file"),
            (str(self.folder), "Is a directory"),
            (str(huge), "larger than 4096 bytes"),
        ):
            # Neither a hang (the FIFO has no writer) nor a MemoryError.
            error = self.assertRaises(PrivateKeyError, read_private_key_file, path)
            self.assertIn(expected, str(error))
            self.assertTrue(str(error).startswith(f"{path}: "))

    def test_key_file_is_preferred_then_default_then_environment(self) -> None:
        given = self.folder / "given.key"
        default = self.folder / "default.key"
        given_key = write_new_private_key(str(given))
        default_key = write_new_private_key(str(default))
        variable_key = PrivateKey.generate()
        variable = private_key_text(variable_key)
        load = load_private_key
        self.assertEqual(
            bytes(load(str(given), str(default), variable, "KEY").key), bytes(given_key)
        )
        self.assertEqual(
            bytes(load(None, str(default), variable, "KEY").key), bytes(default_key)
        )
        os.unlink(default)
        loaded = load(None, str(default), variable, "KEY")
        self.assertEqual(
            (bytes(loaded.key), loaded.source), (bytes(variable_key), "$KEY")
        )

    def test_no_key_at_all_says_where_to_put_one(self) -> None:
        error = self.assertRaises(
            PrivateKeyError, load_private_key, None, "/nonexistent/key", None, "KEY"
        )
        self.assertEqual(
            str(error),
            "no private key: mount it at /nonexistent/key, name a file with"
            " --secret-key-file, or set KEY",
        )

    def test_bad_environment_key_is_named(self) -> None:
        error = self.assertRaises(
            PrivateKeyError, load_private_key, None, "/nonexistent", "junk", "KEY"
        )
        self.assertIn("$KEY: does not hold a private key", str(error))
