"""
boredbot: a bot that tells the world it is bored.

An updater loop posts the bot's status to one Parse account and keeps its
mood in another; a web page shows both. The package is handed its accounts,
keys and clock; it never reads the environment itself.
"""

__version__ = "0.1.0"
