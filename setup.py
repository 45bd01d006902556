"""Kept for tools that still call it; all metadata is in setup.cfg."""

from setuptools import setup

setup()
